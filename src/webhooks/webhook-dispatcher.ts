import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { sqlNames } from '../database/sql-names';
import { EventSinks } from '../events/event-sinks';
import type { CalendarEvent } from '../events/event-types';
import { WakeUp } from '../events/wake-up';
import type { DeliveryAttempt } from './entities/webhook-delivery.entity';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { WebhookSubscription } from './entities/webhook-subscription.entity';
import { WebhookSender } from './webhook-sender';

/** Deliveries one claim takes: each the first pending one of its subscription and consultant. */
const CLAIM_LIMIT = 50;
const MAX_RETRY_DELAY_MS = 3_600_000;
const PURGE_EVERY_MS = 3_600_000;

interface Claimed {
  id: number;
  event: CalendarEvent;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * The delay before retry `n` (1, 2, …): WEBHOOK_RETRY_DELAY_MS doubled each time up to an hour,
 * with "equal jitter" (half fixed, half random): instances retrying together spread out, and each
 * gap is still at least as long as the one before could be.
 */
export function retryDelayMs(firstMs: number, n: number, random = Math.random()): number {
  const delay = Math.min(MAX_RETRY_DELAY_MS, firstMs * 2 ** (n - 1));
  return Math.round(delay / 2 + (random * delay) / 2);
}

/**
 * Sends webhook deliveries, and retries them. The relay writes one delivery per event and
 * matching subscription in its own transaction (the sink below); this loop claims the first
 * pending delivery of each subscription and consultant, due and not leased, with `FOR UPDATE
 * SKIP LOCKED`, and leases it for the time a POST may take: the database is not held while the
 * receiver answers. A consultant's later deliveries wait behind its first, so a receiver gets a
 * consultant's events in order, and a redelivery (after a crash: the lease runs out) repeats
 * the same webhook-id.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly fanOutSql: string;
  private readonly claimSql: string;
  private readonly succeededSql: string;
  private readonly failedSql: string;
  private readonly purgeSql: string;
  private running?: Promise<void>;
  private stopped = false;
  private readonly wakeUp = new WakeUp();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly sinks: EventSinks,
    private readonly sender: WebhookSender,
  ) {
    const d = sqlNames<WebhookDelivery>(db.getMetadata(WebhookDelivery));
    const s = sqlNames<WebhookSubscription>(db.getMetadata(WebhookSubscription));
    this.fanOutSql = `INSERT INTO ${d.table} (${d.subscriptionId}, ${d.eventId}, ${d.consultantId}, ${d.sequence}, ${d.event}, ${d.retryUntil})
         SELECT s.${s.id}, e.id, e.consultant_id, e.sequence, e.event, now() + make_interval(secs => $2)
           FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, consultant_id int, sequence int, event jsonb)
           JOIN ${s.table} s ON s.${s.consultantId} = e.consultant_id AND s.${s.enabled} AND e.type = ANY (s.${s.eventTypes})
          ORDER BY e.consultant_id, e.sequence, s.${s.id}
         ON CONFLICT (${d.subscriptionId}, ${d.eventId}) DO NOTHING`;
    this.claimSql = `WITH claimed AS (
          SELECT d.${d.id} FROM ${d.table} d JOIN ${s.table} s ON s.${s.id} = d.${d.subscriptionId} AND s.${s.enabled}
           WHERE d.${d.status} = 'pending' AND d.${d.nextAttemptAt} <= now() AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now())
             AND NOT EXISTS (SELECT 1 FROM ${d.table} earlier
                              WHERE earlier.${d.subscriptionId} = d.${d.subscriptionId} AND earlier.${d.consultantId} = d.${d.consultantId}
                                AND earlier.${d.status} = 'pending' AND earlier.${d.sequence} < d.${d.sequence})
           ORDER BY d.${d.nextAttemptAt} LIMIT ${CLAIM_LIMIT} FOR UPDATE OF d SKIP LOCKED)
        UPDATE ${d.table} d SET ${d.leaseUntil} = now() + make_interval(secs => $1)
          FROM claimed, ${s.table} s
         WHERE d.${d.id} = claimed.${d.id} AND s.${s.id} = d.${d.subscriptionId}
        RETURNING d.${d.id} AS id, d.${d.event} AS event, jsonb_array_length(d.${d.attempts}) AS attempts, s.${s.url} AS url, s.${s.secret} AS secret`;
    this.succeededSql = `WITH done AS (
          UPDATE ${d.table} SET ${d.status} = 'delivered', ${d.attempts} = ${d.attempts} || $2::jsonb, ${d.leaseUntil} = NULL
           WHERE ${d.id} = $1 RETURNING ${d.subscriptionId} AS subscription)
        UPDATE ${s.table} SET ${s.failingSince} = NULL WHERE ${s.id} = (SELECT subscription FROM done) AND ${s.failingSince} IS NOT NULL`;
    // A failure gives up the delivery once its next attempt would fall past retry_until, and
    // disables the subscription once it has failed WEBHOOK_DISABLE_AFTER_SECONDS straight.
    this.failedSql = `WITH done AS (
          UPDATE ${d.table} SET ${d.attempts} = ${d.attempts} || $2::jsonb, ${d.leaseUntil} = NULL,
                 ${d.nextAttemptAt} = now() + make_interval(secs => $3 / 1000.0),
                 ${d.status} = CASE WHEN now() + make_interval(secs => $3 / 1000.0) > ${d.retryUntil} THEN 'failed' ELSE 'pending' END
           WHERE ${d.id} = $1 RETURNING ${d.subscriptionId} AS subscription)
        UPDATE ${s.table} SET ${s.failingSince} = coalesce(${s.failingSince}, now()),
               ${s.enabled} = ${s.enabled} AND coalesce(${s.failingSince}, now()) > now() - make_interval(secs => $4),
               ${s.disabledAt} = CASE WHEN ${s.enabled} AND coalesce(${s.failingSince}, now()) <= now() - make_interval(secs => $4)
                                      THEN now() ELSE ${s.disabledAt} END
         WHERE ${s.id} = (SELECT subscription FROM done)`;
    this.purgeSql = `DELETE FROM ${d.table} WHERE ${d.status} <> 'pending' AND ${d.createdAt} < now() - make_interval(days => $1)`;
  }

  /** The relay's sink: one delivery per event and enabled subscription that wants its type. */
  onModuleInit(): void {
    this.sinks.add(async (manager, events) => {
      const rows = events.map((event) => ({ ...event, event }));
      const window = this.config.get('WEBHOOK_RETRY_WINDOW_SECONDS', { infer: true });
      await manager.query(this.fanOutSql, [JSON.stringify(rows), window]);
    });
    this.sinks.onCommitted(() => this.wake());
  }

  onApplicationBootstrap(): void {
    if (!this.config.get('EVENTS_RELAY', { infer: true })) return;
    this.running = this.run();
  }

  /** Before the database closes: the POSTs in flight finish (at most WEBHOOK_TIMEOUT_MS), then nothing more. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  /** Looks for due deliveries now rather than at the next poll. */
  wake(): void {
    this.wakeUp.wake();
  }

  /** Claims the due deliveries, sends them side by side, records each outcome; how many it sent. */
  async sendDue(): Promise<number> {
    const timeoutMs = this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true });
    // The lease outlasts the POST: another instance takes the delivery only if this one died.
    const leaseSeconds = Math.ceil((timeoutMs * 3) / 1000) + 5;
    const [claimed] = await this.db.query<[Claimed[], number]>(this.claimSql, [leaseSeconds]);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  private async attempt({ id, event, attempts, url, secret }: Claimed): Promise<void> {
    const at = new Date().toISOString();
    const result = await this.sender.send(url, secret, event.id, JSON.stringify(event));
    const attempt: DeliveryAttempt = {
      at,
      duration_ms: result.durationMs,
      response_status: result.status,
      error: result.error,
    };
    if (result.ok) {
      await this.db.query(this.succeededSql, [id, JSON.stringify([attempt])]);
      return;
    }
    const delayMs = retryDelayMs(this.config.get('WEBHOOK_RETRY_DELAY_MS', { infer: true }), attempts + 1);
    const disableAfter = this.config.get('WEBHOOK_DISABLE_AFTER_SECONDS', { infer: true });
    await this.db.query(this.failedSql, [id, JSON.stringify([attempt]), delayMs, disableAfter]);
  }

  private async run(): Promise<void> {
    const pollMs = this.config.get('WEBHOOK_POLL_MS', { infer: true });
    let purgedAt = 0;
    while (!this.stopped) {
      try {
        if (Date.now() - purgedAt > PURGE_EVERY_MS) {
          await this.db.query(this.purgeSql, [this.config.get('OUTBOX_RETENTION_DAYS', { infer: true })]);
          purgedAt = Date.now();
        }
        if (await this.sendDue()) continue;
      } catch (error) {
        if (!this.stopped) this.logger.warn(`webhook delivery failed: ${String(error)}`);
      }
      await this.wakeUp.sleep(pollMs);
    }
  }
}
