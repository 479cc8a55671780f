import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type AppConfig, ConfigError } from '../config/configuration';
import { portLimits } from './message-port';
import { serverStrategy } from './transport-options';
import { describeTarget, parseTransportUrl } from './transport-url';

/**
 * Attaches the MICROSERVICE_URL transport to the HTTP app (nothing when it is `off`). The
 * transport inherits the app's global pipe, guards and filter, so a message meets the same
 * validation, access rules and problem details as a request; the HTTP rate limit skips it.
 * Call before the app starts; `startMessageTransport` then opens it.
 */
export function connectMessageTransport(app: INestApplication): void {
  const target = parseTransportUrl(transportUrl(app));
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  const limits = portLimits((key) => config.get(key, { infer: true }));
  if (target) app.connectMicroservice(serverStrategy(target, undefined, limits), { inheritAppConfig: true });
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
