import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '../config/configuration';

/** Whether this instance is draining: set at SIGTERM, read by /health/ready. */
@Injectable()
export class Readiness {
  draining = false;
}

/**
 * SIGTERM's first step: /health/ready fails at once while requests are still served, for
 * SHUTDOWN_DRAIN_MS, so that a load balancer checking it stops sending new requests here; then
 * the server closes, letting what is in flight finish.
 */
export async function drainAndClose(app: INestApplication): Promise<void> {
  app.get(Readiness).draining = true;
  const drainMs = app.get<ConfigService<AppConfig, true>>(ConfigService).get('SHUTDOWN_DRAIN_MS', { infer: true });
  if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
  await app.close();
}
