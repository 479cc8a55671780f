import { Payload } from '@nestjs/microservices';
import type { Principal } from '@consultant-calendar/client/wire';
import { DomainError, invalidFields } from '../common/errors';
import { shapeError } from '../common/validation/validation.pipe';

/** The same limit as an HTTP body. */
export const MESSAGE_LIMIT_BYTES = 100 * 1024;
const MAX_ID = 2_147_483_647;
const FIELDS = new Set(['token', 'principal', 'data']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The token a message claims; anything that is not an envelope at all is refused here. */
export function envelopeToken(message: unknown): unknown {
  if (!isRecord(message)) throw new DomainError('malformed-message');
  return message.token;
}

/**
 * The rest of an authenticated message, checked before any of it is used: the same bounds as
 * an HTTP body (size, nesting, values), no unknown fields, a well-formed principal, an object
 * as data. Returns the principal the caller acts for.
 */
export function envelopePrincipal(message: Record<string, unknown>): Principal | undefined {
  const shape = shapeError(message, 'message');
  if (shape) throw invalidFields([shape]);
  // Bounded by the shape check above, so serializing cannot recurse deeply.
  if (Buffer.byteLength(JSON.stringify(message)) > MESSAGE_LIMIT_BYTES)
    throw new DomainError('payload-too-large', `The message is larger than ${MESSAGE_LIMIT_BYTES / 1024} KB.`);
  const unknown = Object.keys(message).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw invalidFields([{ field: unknown, message: 'is not a known field' }]);
  if (message.data !== undefined && !isRecord(message.data))
    throw invalidFields([{ field: 'data', message: 'must be an object' }]);
  return message.principal === undefined ? undefined : readPrincipal(message.principal);
}

function readPrincipal(value: unknown): Principal {
  const refuse = () =>
    invalidFields([
      { field: 'principal', message: 'must be {"role": "admin"} or {"role": "consultant" | "user", "id": <id>}' },
    ]);
  if (!isRecord(value)) throw refuse();
  const { role, id, ...rest } = value;
  if (Object.keys(rest).length) throw refuse();
  if (role === 'admin' && id === undefined) return { role };
  if (
    (role === 'consultant' || role === 'user') &&
    Number.isInteger(id) &&
    (id as number) >= 1 &&
    (id as number) <= MAX_ID
  )
    return { role, id: id as number };
  throw refuse();
}

/** A message handler's payload: the envelope's `data`, through the global validation pipe. */
export const MessageData = () => Payload('data');
