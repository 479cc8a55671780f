import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { sqlNames } from '../database/sql-names';
import { EventSinks } from '../events/event-sinks';
import type { CalendarEvent } from '@consultant-calendar/client';
import { WakeUp } from '../events/wake-up';
import { Metrics } from '../operations/metrics';
import type { DeliveryAttempt } from './entities/webhook-delivery.entity';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { WebhookSubscription } from './entities/webhook-subscription.entity';
import { WebhookSender } from './webhook-sender';

/**
 * Queues one claim takes, and deliveries of each. A queue is a subscription's pending deliveries
 * of its consultant's events (a subscription is one consultant's).
 */
const QUEUES_PER_CLAIM = 50;
const PER_QUEUE = 20;
/** Queues sent at once: past it, claiming waits for one to finish. */
const MAX_QUEUES_SENDING = 200;
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
  /** The claim's lease end, as PostgreSQL wrote it: the claim's token. */
  lease: string;
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
 * deliveries one after the other, stops a queue at its first failure, and records each queue's
 * outcomes in one statement once that queue is done, without waiting for the others. A receiver
 * thus gets a consultant's events in order, a slow one delays only its own, and a redelivery
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
  /** The queues being sent, each recording its own outcomes when done. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly sinks: EventSinks,
    private readonly sender: WebhookSender,
    private readonly metrics: Metrics,
  ) {
    const d = sqlNames<WebhookDelivery>(db.getMetadata(WebhookDelivery));
    const s = sqlNames<WebhookSubscription>(db.getMetadata(WebhookSubscription));
    this.fanOutSql = `INSERT INTO ${d.table} (${d.subscriptionId}, ${d.eventId}, ${d.consultantId}, ${d.sequence}, ${d.event}, ${d.retryUntil})
         SELECT s.${s.id}, e.id, e.consultant_id, e.sequence, e.event, now() + make_interval(secs => $2)
           FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, consultant_id int, sequence int, event jsonb)
           JOIN ${s.table} s ON s.${s.consultantId} = e.consultant_id AND s.${s.enabled} AND e.type = ANY (s.${s.eventTypes})
          ORDER BY e.consultant_id, e.sequence, s.${s.id}
         ON CONFLICT (${d.subscriptionId}, ${d.eventId}) DO NOTHING`;
    // Each queue's first PER_QUEUE pending deliveries, as far as each is due and not leased. The
    // UPDATE checks the lease again on the row it locks: a claim that committed meanwhile keeps
    // what it took. The lease's end, the same for the whole claim, is its owner's token.
    this.claimSql = `WITH heads AS (
          SELECT d.${d.subscriptionId}, d.${d.consultantId} FROM ${d.table} d JOIN ${s.table} s ON s.${s.id} = d.${d.subscriptionId} AND s.${s.enabled}
           WHERE d.${d.status} = 'pending' AND d.${d.nextAttemptAt} <= now() AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now())
             AND NOT EXISTS (SELECT 1 FROM ${d.table} earlier
                              WHERE earlier.${d.subscriptionId} = d.${d.subscriptionId} AND earlier.${d.consultantId} = d.${d.consultantId}
                                AND earlier.${d.status} = 'pending' AND earlier.${d.sequence} < d.${d.sequence})
           ORDER BY d.${d.nextAttemptAt} LIMIT ${QUEUES_PER_CLAIM} FOR UPDATE OF d SKIP LOCKED),
        queued AS (
          SELECT q.${d.id}, bool_and(q.free) OVER (PARTITION BY q.${d.subscriptionId}, q.${d.consultantId} ORDER BY q.${d.sequence}) AS ready
            FROM heads h CROSS JOIN LATERAL (
                   SELECT d.${d.id}, d.${d.subscriptionId}, d.${d.consultantId}, d.${d.sequence},
                          d.${d.nextAttemptAt} <= now() AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now()) AS free
                     FROM ${d.table} d
                    WHERE d.${d.subscriptionId} = h.${d.subscriptionId} AND d.${d.consultantId} = h.${d.consultantId} AND d.${d.status} = 'pending'
                    ORDER BY d.${d.sequence} LIMIT ${PER_QUEUE}) q)
        UPDATE ${d.table} d SET ${d.leaseUntil} = now() + make_interval(secs => $1)
          FROM queued, ${s.table} s
         WHERE d.${d.id} = queued.${d.id} AND queued.ready AND s.${s.id} = d.${d.subscriptionId}
           AND d.${d.status} = 'pending' AND (d.${d.leaseUntil} IS NULL OR d.${d.leaseUntil} < now())
        RETURNING d.${d.id} AS id, d.${d.subscriptionId} AS subscription, d.${d.consultantId} AS consultant, d.${d.sequence} AS sequence,
                  d.${d.event} AS event, jsonb_array_length(d.${d.attempts}) AS attempts, s.${s.url} AS url, s.${s.secret} AS secret,
                  d.${d.leaseUntil}::text AS lease`;
    // Outcomes count only under the claim's own lease: one that ran out and was claimed again
    // is the new owner's. A failure gives up the delivery once its next attempt would fall past
    // retry_until. A subscription failing since its last success is disabled once that has gone
    // on WEBHOOK_DISABLE_AFTER_SECONDS. Its row is locked FOR NO KEY UPDATE, which does not wait
    // for the relay's fan-out (its foreign key holds the row FOR KEY SHARE), in id order, so that
    // two instances recording at once cannot deadlock.
    this.outcomesSql = `WITH outcome AS (
          SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(id int, outcome text, attempt jsonb, delay_ms int)),
        done AS (
          UPDATE ${d.table} d SET ${d.leaseUntil} = NULL,
                 ${d.attempts} = CASE WHEN o.attempt IS NULL THEN d.${d.attempts} ELSE d.${d.attempts} || jsonb_build_array(o.attempt) END,
                 ${d.nextAttemptAt} = CASE WHEN o.outcome = 'failed' THEN now() + make_interval(secs => o.delay_ms / 1000.0) ELSE d.${d.nextAttemptAt} END,
                 ${d.status} = CASE o.outcome WHEN 'delivered' THEN 'delivered'
                                 WHEN 'failed' THEN CASE WHEN now() + make_interval(secs => o.delay_ms / 1000.0) > d.${d.retryUntil} THEN 'failed' ELSE 'pending' END
                                 ELSE d.${d.status} END
            FROM outcome o WHERE d.${d.id} = o.id AND d.${d.leaseUntil} = $4::timestamptz),
        next AS (
          SELECT cur.${s.id} AS id,
                 CASE WHEN NOT x.failing THEN NULL WHEN x.reset THEN now() ELSE coalesce(cur.${s.failingSince}, now()) END AS failing_since
            FROM jsonb_to_recordset($2::jsonb) AS x(subscription int, reset boolean, failing boolean)
            JOIN ${s.table} cur ON cur.${s.id} = x.subscription
           WHERE cur.${s.failingSince} IS NOT NULL OR x.failing
           ORDER BY cur.${s.id} FOR NO KEY UPDATE OF cur)
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
   * Claims due queues and starts each on its own: it sends its deliveries in order and records
   * their outcomes when it is done, whatever the other queues are doing, and the loop claims
   * again at once. A queue being sent is leased, and so is out of every claim (its later
   * deliveries too: a queue is claimed from its first pending one), so a slow or dead receiver
   * holds up only its own subscription's deliveries. How many deliveries it claimed.
   */
  private async sendDue(): Promise<number> {
    if (this.sending.size >= MAX_QUEUES_SENDING) {
      await Promise.race(this.sending);
      // A queue is done: claim again without waiting for the poll.
      return 1;
    }
    const timeoutMs = this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true });
    // The lease outlasts a queue's POSTs: a queue starts no POST once timeoutMs have passed, so
    // its last one (name resolution included) ends within 2 × timeoutMs. Another instance takes
    // it only if this one died.
    const leaseSeconds = Math.ceil((timeoutMs * 3) / 1000) + 5;
    const [claimed] = await this.db.query<[Claimed[], number]>(this.claimSql, [leaseSeconds]);
    if (!claimed.length) return 0;
    const queues = new Map<string, Claimed[]>();
    for (const delivery of claimed.sort((a, b) => a.sequence - b.sequence)) {
      const key = `${delivery.subscription}/${delivery.consultant}`;
      queues.set(key, [...(queues.get(key) ?? []), delivery]);
    }
    for (const queue of queues.values()) {
      const sending: Promise<void> = this.sendQueue(queue, timeoutMs)
        .catch((error: unknown) => {
          // Its lease runs out and the queue is claimed again: delivered at least once.
          if (!this.stopped) this.logger.warn(`webhook delivery failed: ${String(error)}`);
        })
        .finally(() => {
          this.sending.delete(sending);
          this.wake();
        });
      this.sending.add(sending);
    }
    return claimed.length;
  }

  /** One queue's deliveries one after the other, up to its first failure or timeoutMs; then its outcomes. */
  private async sendQueue(queue: Claimed[], timeoutMs: number): Promise<void> {
    const started = performance.now();
    const done: Outcome[] = [];
    for (const delivery of queue) {
      const last = done.at(-1);
      const stop = this.stopped || (last && (last.outcome !== 'delivered' || performance.now() - started > timeoutMs));
      done.push(stop ? { id: delivery.id, outcome: 'released' } : await this.attempt(delivery));
    }
    await this.record(queue, done);
  }

  private async attempt({ id, subscription, event, attempts, url, secret }: Claimed): Promise<Outcome> {
    const at = new Date().toISOString();
    const result = await this.sender.send(url, secret, event.id, JSON.stringify(event));
    // The subscriber sees one word; the operator may need the address or errno behind it.
    if (result.detail) this.logger.log(`webhook ${subscription} delivery ${id} ${result.error}: ${result.detail}`);
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
   * Writes one queue's outcomes under its claim's lease, and its subscription's failing state: a
   * success resets it, and a queue that ended on a failure starts (or continues) its failing time.
   */
  private async record(queue: Claimed[], outcomes: Outcome[]): Promise<void> {
    const attempted = outcomes.filter((o) => o.outcome !== 'released');
    const subscriptions = attempted.length
      ? [
          {
            subscription: queue[0].subscription,
            reset: attempted.some((o) => o.outcome === 'delivered'),
            failing: attempted.at(-1)?.outcome === 'failed',
          },
        ]
      : [];
    const disableAfter = this.config.get('WEBHOOK_DISABLE_AFTER_SECONDS', { infer: true });
    await this.db.query(this.outcomesSql, [
      JSON.stringify(outcomes),
      JSON.stringify(subscriptions),
      disableAfter,
      queue[0].lease,
    ]);
    for (const { outcome } of attempted) this.metrics.webhookDeliveries.inc({ outcome });
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
    // The POSTs in flight finish and are recorded before the database closes.
    await Promise.all(this.sending);
  }
}
