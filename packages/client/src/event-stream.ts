import {
  jetstream,
  type JetStreamClient,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { type CalendarEvent, EVENT_TYPES } from './event-types';
import { natsConnection } from './transport-options';
import { type TransportTarget, wirePattern } from './transport-url';

/** The stream's name with no namespace; `<namespace>-consultant-calendar-events` with one. */
const STREAM = 'consultant-calendar-events';
/** A repeat published within this window (the relay's retry of an unacknowledged batch) is stored once. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** JetStream's code for a stream that exists with another configuration. */
const STREAM_NAME_IN_USE = 10058;
const DEFAULT_STREAM_DAYS = 7;

/**
 * The JetStream stream that stores the calendar's events on NATS: one subject per event type,
 * under the namespace (`<namespace>.booking.created`), each message one CalendarEvent as JSON
 * with its `id` as the message id. The service publishes to it; each subscribing service reads
 * it through a durable consumer of its own, so it gets what was published while it was away.
 */
export function eventStream(target: TransportTarget, days = DEFAULT_STREAM_DAYS) {
  return {
    name: target.namespace ? `${target.namespace}-${STREAM}` : STREAM,
    subjects: EVENT_TYPES.map((type) => wirePattern(target, type)),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(days * 86_400_000),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  } satisfies Partial<StreamConfig>;
}

/**
 * Creates the stream when it does not exist. The service (`days` given) also brings an existing
 * one to its configuration; a subscriber (`days` left out) takes the stream as it finds it.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  target: TransportTarget,
  days?: number,
): Promise<string> {
  const config = eventStream(target, days);
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw error;
    if (days !== undefined) await jsm.streams.update(config.name, config);
  }
  return config.name;
}

/**
 * The service's end of the stream: publishes events, each as its JSON with its `id` as the
 * message id, and resolves once JetStream has acknowledged storing all of them (a publish no
 * stream stores fails). One connection keeps their order in the stream. A repeat (a batch
 * retried after a failure) within the duplicate window is stored once; after it, a subscriber
 * drops the repeated `id`.
 */
export class EventStreamPublisher {
  private connection?: Promise<NatsConnection>;
  private js?: JetStreamClient;

  constructor(
    private readonly target: TransportTarget,
    private readonly days: number,
    private readonly timeoutMs: number,
  ) {}

  async publish(events: CalendarEvent[]): Promise<void> {
    const js = await this.jetStream();
    try {
      await Promise.all(
        events.map((event) =>
          js.publish(wirePattern(this.target, event.type), JSON.stringify(event), {
            msgID: event.id,
            timeout: this.timeoutMs,
          }),
        ),
      );
    } catch (error) {
      // The stream may be gone (deleted, or lost with the server's storage): made again before the retry.
      this.js = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    const connection = await this.connection?.catch(() => undefined);
    await connection?.close();
  }

  /** The stream, checked (or made) on first use and after a failed publish, on one lasting connection. */
  private async jetStream(): Promise<JetStreamClient> {
    if (this.js) return this.js;
    this.connection ??= connect({
      ...natsConnection(this.target),
      name: 'consultant-calendar-events',
      maxReconnectAttempts: -1,
    });
    this.connection.catch(() => (this.connection = undefined));
    const connection = await this.connection;
    await ensureEventStream(await jetstreamManager(connection), this.target, this.days);
    return (this.js = jetstream(connection));
  }
}
