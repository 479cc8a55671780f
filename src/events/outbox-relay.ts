import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { DatabaseUrlProvider } from '../database/database.module';
import { LISTEN_RETRY_MS, NotificationListener } from '../database/notification-listener';
import { sqlNames } from '../database/sql-names';
import { OutboxEvent } from './entities/outbox-event.entity';
import { EventSinks } from './event-sinks';
import { WakeUp } from './wake-up';
import type { CalendarEvent } from '@consultant-calendar/client';
import { TransactionalConnection } from '../database/transactional-connection';

/** Heads (consultants) one claim takes, and events one batch delivers. */
const HEADS_PER_CLAIM = 100;
const EVENTS_PER_BATCH = 500;
/** On PostgreSQL a notification wakes the relay; this poll only covers a missed one. */
const LISTEN_FALLBACK_POLL_MS = LISTEN_RETRY_MS;
const PURGE_EVERY_MS = 3_600_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Delivers the outbox: each consultant's events in sequence order, at least once, shared between
 * every instance of the service. A claim locks only the lowest undelivered event of each
 * consultant (`FOR UPDATE SKIP LOCKED`), so an instance takes whole consultants: while one holds
 * a consultant's first event, no other can take any of that consultant's later ones, which are
 * behind it. Delivery and the `delivered_at` mark commit together; a crash in between delivers
 * the batch again, with the same ids.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly claimSql: string;
  private readonly purgeSql: string;
  private running?: Promise<void>;
  private stopped = false;
  private readonly wakeUp = new WakeUp();
  private listener?: NotificationListener;
  private announcing = false;

  constructor(
    private readonly connection: TransactionalConnection,
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly database: DatabaseUrlProvider,
    private readonly sinks: EventSinks,
  ) {
    const e = sqlNames<OutboxEvent>(db.getMetadata(OutboxEvent));
    // One statement claims the heads, takes the claimed consultants' undelivered events from
    // their head on (a prefix of each one's queue) and marks them delivered: the mark commits
    // with the delivery or rolls back with it.
    this.claimSql = `WITH heads AS (
          SELECT ${e.consultantId} FROM ${e.table} head
           WHERE ${e.deliveredAt} IS NULL
             AND NOT EXISTS (SELECT 1 FROM ${e.table} earlier WHERE earlier.${e.consultantId} = head.${e.consultantId}
                                AND earlier.${e.deliveredAt} IS NULL AND earlier.${e.sequence} < head.${e.sequence})
           ORDER BY ${e.occurredAt}, ${e.consultantId} LIMIT ${HEADS_PER_CLAIM} FOR UPDATE SKIP LOCKED),
        batch AS (
          SELECT ${e.id} FROM ${e.table} WHERE ${e.deliveredAt} IS NULL AND ${e.consultantId} IN (SELECT ${e.consultantId} FROM heads)
           ORDER BY ${e.consultantId}, ${e.sequence} LIMIT ${EVENTS_PER_BATCH})
        UPDATE ${e.table} o SET ${e.deliveredAt} = now() FROM batch WHERE o.${e.id} = batch.${e.id}
        RETURNING o.${e.id} AS id, o.${e.type} AS type, o.${e.occurredAt} AS occurred_at, o.${e.consultantId} AS consultant_id,
                  o.${e.sequence} AS sequence, o.${e.data} AS data`;
    this.purgeSql = `DELETE FROM ${e.table} WHERE ${e.deliveredAt} < now() - make_interval(days => $1)`;
  }

  onApplicationBootstrap(): void {
    if (!this.config.get('EVENTS_RELAY', { infer: true })) return;
    this.running = this.run();
  }

  /** Before the database closes: the batch in hand finishes (or rolls back), then nothing more. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wakeUp.wake();
    await this.running;
    await this.listener?.stop();
  }

  /**
   * Tells the relays that events committed without the NOTIFY trigger (change_booking leaves it
   * to its caller: NOTIFY takes a database-wide lock held through the commit's flush, which
   * queued every booking behind every other). This instance's relay wakes at once; when it runs
   * none, the other instances' wake through one pg_notify per turn of the event loop, however
   * many bookings committed in it. Lost in a crash, it is made up by the relays' fallback poll.
   */
  announce(): void {
    if (this.running) return this.wakeUp.wake();
    if (this.announcing || this.database.isEmbedded) return;
    this.announcing = true;
    setImmediate(() => {
      this.announcing = false;
      this.db
        .query(`SELECT pg_notify('outbox_events', '')`)
        .catch((error: unknown) => this.logger.warn(`could not notify the relays: ${String(error)}`));
    });
  }

  /** Delivers one batch; how many events it held (0: nothing was waiting, or all was claimed elsewhere). */
  deliverBatch(): Promise<number> {
    return this.connection.withTransaction(async (manager) => {
      const [rows] = await manager.query<[(Omit<CalendarEvent, 'occurred_at'> & { occurred_at: Date })[], number]>(
        this.claimSql,
      );
      // RETURNING keeps no order: each consultant's events go out in sequence.
      rows.sort((a, b) => a.consultant_id - b.consultant_id || a.sequence - b.sequence);
      const events = rows.map((r) => ({ ...r, occurred_at: r.occurred_at.toISOString() }));
      if (events.length) await this.sinks.deliver(manager, events);
      return events.length;
    });
  }

  /** Deletes events delivered more than OUTBOX_RETENTION_DAYS ago. */
  async purge(): Promise<void> {
    await this.db.query(this.purgeSql, [this.config.get('OUTBOX_RETENTION_DAYS', { infer: true })]);
  }

  private async run(): Promise<void> {
    const embedded = this.database.isEmbedded;
    const pollMs = embedded ? this.config.get('OUTBOX_POLL_MS', { infer: true }) : LISTEN_FALLBACK_POLL_MS;
    if (!embedded) {
      // Whatever committed while nobody listened is picked up when listening starts.
      const wake = () => this.wakeUp.wake();
      this.listener = new NotificationListener((this.db.options as { url: string }).url, 'outbox_events', this.logger, {
        onNotify: wake,
        onListening: wake,
      });
      await this.listener.start();
    }
    let failures = 0;
    let purgedAt = 0;
    while (!this.stopped) {
      try {
        if (Date.now() - purgedAt > PURGE_EVERY_MS) {
          await this.purge();
          purgedAt = Date.now();
        }
        const delivered = await this.deliverBatch();
        failures = 0;
        // After a batch, claim again at once: a booking committed meanwhile on another instance
        // wakes only that instance's relay, which skips the consultants this one held.
        if (delivered) {
          this.sinks.committed();
          continue;
        }
        await this.wakeUp.sleep(pollMs);
      } catch (error) {
        failures++;
        const delayMs = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 10));
        if (!this.stopped)
          this.logger.warn(`delivery failed (attempt ${failures}), retrying in ${delayMs} ms: ${String(error)}`);
        await this.wakeUp.sleep(delayMs);
      }
    }
  }
}
