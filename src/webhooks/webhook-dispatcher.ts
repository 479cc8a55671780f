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

/** Queues (a subscription's deliveries of one consultant) one claim takes, and deliveries of each. */
const QUEUES_PER_CLAIM = 50;
const PER_QUEUE = 20;
const MAX_RETRY_DELAY_MS = 3_600_000;
const PURGE_EVERY_MS = 3_600_000;

interface Claimed {
  id: number;
  subscription: number;
  consultant: number;
  sequence: number;
  event: CalendarEvent;
  attempts: number;
  url: string;
  secret: string;
}

/** What became of a claimed delivery: sent (with its attempt), or handed back unsent. */
type Outcome =
  | { id: number; outcome: 'delivered'; attempt: DeliveryAttempt }
  | { id: number; outcome: 'failed'; attempt: DeliveryAttempt; delay_ms: number }
  | { id: number; outcome: 'released' };

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
 * matching subscription in its own transaction (the sink below); this loop claims queues, each
 * the pending deliveries of one subscription and consultant: their first, due and not leased,
 * locked with `FOR UPDATE SKIP LOCKED`, and those after it. It leases them for the time the
 * POSTs may take (the database is not held while receivers answer), sends each queue's
 * deliveries one after the other, stops a queue at its first failure, and records every outcome
 * in one statement. A receiver thus gets a consultant's events in order, and a redelivery
 * (after a crash: the lease runs out) repeats the same webhook-id.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly fanOutSql: string;
  private readonly claimSql: string;
  private readonly outcomesSql: string;
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
    // A queue's deliveries from its head on, as long as each is due and not leased.
    this.claimSql = `WITH heads AS (
          SELECT d.${d.subscriptionId}, d.${d.consultantId} FROM ${d.table} d JOIN ${s.table} s ON s.${s.id} = d.${d.subscriptionId} AND s.${s.enabled}
           WHERE d.${d.status} = 'pending' AND d.${d.nextAttemptAt} <= now() AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now())
             AND NOT EXISTS (SELECT 1 FROM ${d.table} earlier
                              WHERE earlier.${d.subscriptionId} = d.${d.subscriptionId} AND earlier.${d.consultantId} = d.${d.consultantId}
                                AND earlier.${d.status} = 'pending' AND earlier.${d.sequence} < d.${d.sequence})
           ORDER BY d.${d.nextAttemptAt} LIMIT ${QUEUES_PER_CLAIM} FOR UPDATE OF d SKIP LOCKED),
        queued AS (
          SELECT d.${d.id}, row_number() OVER queue AS place,
                 bool_and(d.${d.nextAttemptAt} <= now() AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now())) OVER queue AS ready
            FROM ${d.table} d JOIN heads h ON h.${d.subscriptionId} = d.${d.subscriptionId} AND h.${d.consultantId} = d.${d.consultantId}
           WHERE d.${d.status} = 'pending'
          WINDOW queue AS (PARTITION BY d.${d.subscriptionId}, d.${d.consultantId} ORDER BY d.${d.sequence}))
        UPDATE ${d.table} d SET ${d.leaseUntil} = now() + make_interval(secs => $1)
          FROM queued, ${s.table} s
         WHERE d.${d.id} = queued.${d.id} AND queued.ready AND queued.place <= ${PER_QUEUE} AND s.${s.id} = d.${d.subscriptionId}
        RETURNING d.${d.id} AS id, d.${d.subscriptionId} AS subscription, d.${d.consultantId} AS consultant, d.${d.sequence} AS sequence,
                  d.${d.event} AS event, jsonb_array_length(d.${d.attempts}) AS attempts, s.${s.url} AS url, s.${s.secret} AS secret`;
    // A failure gives up the delivery once its next attempt would fall past retry_until. A
    // subscription's failures since its last success (failing_from) disable it once they have
    // gone on WEBHOOK_DISABLE_AFTER_SECONDS; its rows are locked in id order, so that two
    // instances recording at once cannot deadlock.
    this.outcomesSql = `WITH outcome AS (
          SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(id int, outcome text, attempt jsonb, delay_ms int)),
        done AS (
          UPDATE ${d.table} d SET ${d.leaseUntil} = NULL,
                 ${d.attempts} = CASE WHEN o.attempt IS NULL THEN d.${d.attempts} ELSE d.${d.attempts} || jsonb_build_array(o.attempt) END,
                 ${d.nextAttemptAt} = CASE WHEN o.outcome = 'failed' THEN now() + make_interval(secs => o.delay_ms / 1000.0) ELSE d.${d.nextAttemptAt} END,
                 ${d.status} = CASE o.outcome WHEN 'delivered' THEN 'delivered'
                                 WHEN 'failed' THEN CASE WHEN now() + make_interval(secs => o.delay_ms / 1000.0) > d.${d.retryUntil} THEN 'failed' ELSE 'pending' END
                                 ELSE d.${d.status} END
            FROM outcome o WHERE d.${d.id} = o.id),
        next AS (
          SELECT cur.${s.id} AS id,
                 CASE WHEN x.reset THEN x.failing_from ELSE coalesce(cur.${s.failingSince}, x.failing_from) END AS failing_since
            FROM jsonb_to_recordset($2::jsonb) AS x(subscription int, reset boolean, failing_from timestamptz)
            JOIN ${s.table} cur ON cur.${s.id} = x.subscription
           WHERE cur.${s.failingSince} IS NOT NULL OR x.failing_from IS NOT NULL
           ORDER BY cur.${s.id} FOR UPDATE OF cur)
        UPDATE ${s.table} s SET ${s.failingSince} = next.failing_since,
               ${s.enabled} = s.${s.enabled} AND NOT coalesce(next.failing_since <= now() - make_interval(secs => $3), false),
               ${s.disabledAt} = CASE WHEN s.${s.enabled} AND coalesce(next.failing_since <= now() - make_interval(secs => $3), false)
                                      THEN now() ELSE s.${s.disabledAt} END
          FROM next WHERE s.${s.id} = next.id`;
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

  /**
   * Claims due queues, sends each queue's deliveries in order (the queues side by side), records
   * every outcome; whether more may be due now.
   */
  private async sendDue(): Promise<boolean> {
    const timeoutMs = this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true });
    // The lease outlasts a queue's POSTs: a queue starts no POST once timeoutMs have passed, so
    // its last one ends within 2 × timeoutMs. Another instance takes it only if this one died.
    const leaseSeconds = Math.ceil((timeoutMs * 3) / 1000) + 5;
    const [claimed] = await this.db.query<[Claimed[], number]>(this.claimSql, [leaseSeconds]);
    if (!claimed.length) return false;
    const started = performance.now();
    const queues = new Map<string, Claimed[]>();
    for (const delivery of claimed.sort((a, b) => a.sequence - b.sequence)) {
      const key = `${delivery.subscription}/${delivery.consultant}`;
      queues.set(key, [...(queues.get(key) ?? []), delivery]);
    }
    const sendInOrder = async (queue: Claimed[]): Promise<Outcome[]> => {
      const done: Outcome[] = [];
      for (const delivery of queue) {
        const last = done.at(-1);
        const stop = last && (last.outcome !== 'delivered' || performance.now() - started > timeoutMs);
        done.push(stop ? { id: delivery.id, outcome: 'released' } : await this.attempt(delivery));
      }
      return done;
    };
    const outcomes = await Promise.all([...queues.values()].map(sendInOrder));
    await this.record(claimed, outcomes.flat());
    // More is due now when the claim was full, or a queue stopped for time or was full, not failing.
    return (
      queues.size === QUEUES_PER_CLAIM ||
      outcomes.some(
        (done) =>
          !done.some((o) => o.outcome === 'failed') &&
          (done.length === PER_QUEUE || done.some((o) => o.outcome === 'released')),
      )
    );
  }

  private async attempt({ id, event, attempts, url, secret }: Claimed): Promise<Outcome> {
    const at = new Date().toISOString();
    const result = await this.sender.send(url, secret, event.id, JSON.stringify(event));
    const attempt: DeliveryAttempt = {
      at,
      duration_ms: result.durationMs,
      response_status: result.status,
      error: result.error,
    };
    if (result.ok) return { id, outcome: 'delivered', attempt };
    const delayMs = retryDelayMs(this.config.get('WEBHOOK_RETRY_DELAY_MS', { infer: true }), attempts + 1);
    return { id, outcome: 'failed', attempt, delay_ms: delayMs };
  }

  /**
   * Writes the outcomes, and each subscription's failing state: a success in this round resets
   * it, and failures after the last success start (or continue) its failing time.
   */
  private async record(claimed: Claimed[], outcomes: Outcome[]): Promise<void> {
    const subscriptionOf = new Map(claimed.map((d) => [d.id, d.subscription]));
    const attempts = new Map<number, { at: string; ok: boolean }[]>();
    for (const o of outcomes) {
      if (o.outcome === 'released') continue;
      const subscription = subscriptionOf.get(o.id) as number;
      attempts.set(subscription, [
        ...(attempts.get(subscription) ?? []),
        { at: o.attempt.at, ok: o.outcome === 'delivered' },
      ]);
    }
    const subscriptions = [...attempts].map(([subscription, list]) => {
      list.sort((a, b) => a.at.localeCompare(b.at));
      const lastSuccess = list.findLastIndex((a) => a.ok);
      return { subscription, reset: lastSuccess >= 0, failing_from: list[lastSuccess + 1]?.at ?? null };
    });
    const disableAfter = this.config.get('WEBHOOK_DISABLE_AFTER_SECONDS', { infer: true });
    await this.db.query(this.outcomesSql, [JSON.stringify(outcomes), JSON.stringify(subscriptions), disableAfter]);
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
