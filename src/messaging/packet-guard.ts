import type { ConsumerDeserializer, IncomingEvent, IncomingRequest } from '@nestjs/microservices';
import { problemOf } from '../common/errors';
import type { Problem } from '../common/errors';

/** A packet id a caller may use: what the reply echoes must serialize, small and flat. */
const MAX_ID_LENGTH = 128;

/** A packet no handler may see, and the problem that answers it. */
export class RefusedPacket extends Error {
  /** `id`: the packet's, once known to serialize; else none is echoed. */
  constructor(
    readonly problem: Problem,
    private readonly id: string | number | null = null,
  ) {
    super(problem.detail);
  }

  get reply() {
    return { id: this.id, isDisposed: true, err: this.problem };
  }
}

const malformed = (detail: string) => new RefusedPacket(problemOf('malformed-message', detail));

/**
 * The transport's own deserializer, checking every packet it reads before any handler runs, so
 * that a reply can always be sent: its id must serialize (a number or a short string), its
 * pattern be a string, and a message carrying a reply address (NATS, RabbitMQ) be a request,
 * with an id. Where the packet's pattern picks the handler (TCP, RabbitMQ: `handles`), a request
 * for none is refused too, with a problem rather than Nest's bare string. Throws RefusedPacket,
 * for the server to answer on the caller's reply route (transport-options.ts).
 */
export function guardedDeserializer(
  inner: ConsumerDeserializer,
  handles?: (pattern: string) => boolean,
): ConsumerDeserializer {
  return {
    async deserialize(value: unknown, options?: Record<string, unknown>) {
      let packet: IncomingRequest | IncomingEvent;
      try {
        packet = await inner.deserialize(value, options);
      } catch {
        throw malformed('A message is JSON.');
      }
      const { id, pattern } = packet as { id?: unknown; pattern?: unknown };
      if (id !== undefined && !(typeof id === 'string' && id.length <= MAX_ID_LENGTH) && !Number.isFinite(id))
        throw malformed(`A message's id is a number or a string of at most ${MAX_ID_LENGTH} characters.`);
      if (pattern !== undefined && typeof pattern !== 'string') throw malformed("A message's pattern is a string.");
      if (id === undefined && options?.replyTo)
        throw malformed('A message with a reply address is a request: it has an id.');
      if (id !== undefined && handles && !handles(pattern as string))
        throw new RefusedPacket(
          problemOf('not-found', 'No message has this pattern; docs/MESSAGES.md lists them.'),
          id as string | number,
        );
      return packet;
    },
  };
}
