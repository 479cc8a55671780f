import { type INestApplication, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type AppConfig, ConfigError } from '../config/configuration';
import { isIP } from 'node:net';
import { portLimits } from './message-port';
import { messageTlsOptions } from './message-tls';
import { serverStrategy } from './transport-options';
import { describeTarget, overTls, parseTransportUrl, type TransportTarget } from '@consultant-calendar/client/wire';

/**
 * Attaches the MICROSERVICE_URL transport to the HTTP app (nothing when it is `off`). The
 * transport inherits the app's global pipe, guards and filter, so a message meets the same
 * validation, access rules and problem details as a request; the HTTP rate limit skips it.
 * Call before the app starts; `startMessageTransport` then opens it.
 */
export function connectMessageTransport(app: INestApplication): void {
  const target = parseTransportUrl(transportUrl(app));
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  if (!target) return;
  const setting = <K extends keyof AppConfig>(key: K) => config.get(key, { infer: true });
  const tcpPort = { limits: portLimits(setting), tls: messageTlsOptions(target, setting) };
  if (target.kind === 'tcp' && !overTls(target) && !isLoopback(target))
    new Logger('MessagePort').warn(
      `MICROSERVICE_URL=${describeTarget(target)} listens beyond this machine in plain TCP: INTERNAL_TOKEN travels readable; use tls:// (README, "Internal messages")`,
    );
  app.connectMicroservice(serverStrategy(target, tcpPort), { inheritAppConfig: true });
}

/** A host name or address that only this machine can reach. */
function isLoopback(target: TransportTarget): boolean {
  const host = target.url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  return isIP(host) === 4 ? host.startsWith('127.') : host === '::1';
}

/** Listens on the transport (or connects to its broker); an unreachable one stops start-up in one line. */
export async function startMessageTransport(app: INestApplication): Promise<string | undefined> {
  const target = parseTransportUrl(transportUrl(app));
  if (!target) return undefined;
  try {
    await app.startAllMicroservices();
  } catch (error) {
    const reason = (error as { message?: string; code?: string })?.message || String(error);
    throw new ConfigError(`Cannot open internal messages on MICROSERVICE_URL=${describeTarget(target)}: ${reason}`);
  }
  return describeTarget(target);
}

const transportUrl = (app: INestApplication): string =>
  app.get<ConfigService<AppConfig, true>>(ConfigService).get('MICROSERVICE_URL', { infer: true });
