import { readFileSync } from 'node:fs';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { ConfigError } from '../config/configuration';
import { describeTarget, overTls, type TransportTarget } from '@consultant-calendar/client/wire';

type TlsFileSetting = 'MESSAGE_TLS_CERT_FILE' | 'MESSAGE_TLS_KEY_FILE' | 'MESSAGE_TLS_CA_FILE';

/**
 * The TLS port's certificate, key and (optionally) the CA its callers' certificates must be
 * signed by, read from the MESSAGE_TLS_* files and tried together, so that a missing file, a
 * bad PEM or a key that is not the certificate's stops start-up in one line, not at the first
 * caller. Undefined for every transport but `tls://`; the files set for any other is refused
 * too, as a port its operator believes encrypted would carry INTERNAL_TOKEN in the clear.
 */
export function messageTlsOptions(
  target: TransportTarget,
  setting: (key: TlsFileSetting) => string | undefined,
): TlsOptions | undefined {
  const where = `MICROSERVICE_URL=${describeTarget(target)}`;
  const given = (['MESSAGE_TLS_CERT_FILE', 'MESSAGE_TLS_KEY_FILE', 'MESSAGE_TLS_CA_FILE'] as const).filter((key) =>
    setting(key),
  );
  if (!overTls(target)) {
    if (given.length) throw new ConfigError(`${given[0]} is set, but ${where} is not tls://host:port`);
    return undefined;
  }
  const read = (key: TlsFileSetting): Buffer | undefined => {
    const path = setting(key);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`Cannot read ${key}=${path}: ${(error as Error).message}`);
    }
  };
  const missing = (['MESSAGE_TLS_CERT_FILE', 'MESSAGE_TLS_KEY_FILE'] as const).find((key) => !setting(key));
  if (missing) throw new ConfigError(`${where} needs ${missing}: the port's certificate and its key, PEM files`);
  const ca = read('MESSAGE_TLS_CA_FILE');
  const options: TlsOptions = {
    cert: read('MESSAGE_TLS_CERT_FILE'),
    key: read('MESSAGE_TLS_KEY_FILE'),
    // With a CA, only callers presenting a certificate it signed complete the handshake.
    ...(ca && { ca, requestCert: true, rejectUnauthorized: true }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError(
      `Cannot serve ${where} with MESSAGE_TLS_CERT_FILE=${setting('MESSAGE_TLS_CERT_FILE')}, ` +
        `MESSAGE_TLS_KEY_FILE=${setting('MESSAGE_TLS_KEY_FILE')}${ca ? ` and MESSAGE_TLS_CA_FILE=${setting('MESSAGE_TLS_CA_FILE')}` : ''}: ${(error as Error).message}`,
    );
  }
  return options;
}
