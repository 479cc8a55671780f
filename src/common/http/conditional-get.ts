import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';

/**
 * Conditional GET (RFC 9110, section 13) for answers that are a function of versioned reads: a
 * view, a slot list, a feed. The reads an answer is made of note the versions they found
 * (`noteVersions`); its ETag is a digest of those and of the request's URL, the same on every
 * instance. A request with If-None-Match makes only those reads: while they find the same
 * versions it is answered 304, with nothing computed or serialized.
 */
const versionsRead = new AsyncLocalStorage<{ parts: unknown[] | null }>();

/** What one read found, by the versions that say whether it still holds. */
export function noteVersions(part: unknown): void {
  versionsRead.getStore()?.parts?.push(part);
}

/** A read whose data changes with the clock alone (a notice, a horizon, a hold that expires): its answer gets no ETag. */
export function noteChangesWithTheClock(): void {
  const store = versionsRead.getStore();
  if (store) store.parts = null;
}

/**
 * Whether an If-None-Match field names this tag, compared weakly (section 13.1.2). `*` is not
 * taken for a match: the answer is computed, so a request that is not valid is refused as such.
 */
function matches(ifNoneMatch: string, tag: string): boolean {
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => opaque(t) === opaque(tag));
}

/** What a conditional route answers: its value, its value serialized as JSON, or a 304. */
export type Answer<T> = T | string | Response;

/**
 * Answers serialized as JSON, by ETag: views are mostly asked again unchanged. Bounded by
 * characters (a page of 50 consultants' day is about 100 KB), least recently used first. An
 * answer over 256 K characters is not kept: keeping 17-day views of 5-minute slots (1.2 MB each,
 * rarely asked twice) cost every such answer about 3 ms more of garbage collection.
 */
const serialized = new LRUCache<string, string>({
  maxSize: 8_000_000,
  maxEntrySize: 256_000,
  sizeCalculation: (body) => body.length,
});

export class ConditionalGet {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly cacheControl: string,
  ) {}

  /**
   * `compute`'s answer with its ETag, or a 304 when If-None-Match names the tag that `read` (the
   * reads `compute` starts with, alone) finds now. `read` refuses as `compute` would (a 404 for
   * an unknown consultant).
   */
  async answer<T>(read: () => Promise<unknown>, compute: () => Promise<T>): Promise<Answer<T>> {
    const asked = this.request.headers['if-none-match'];
    if (asked !== undefined) {
      const { tag } = await this.tagged(read);
      if (tag !== null && matches(asked, tag))
        return new Response(null, { status: 304, headers: { etag: tag, 'cache-control': this.cacheControl } });
    }
    const { result, tag } = await this.tagged(compute);
    if (tag === null) return result;
    this.reply.header('etag', tag).header('cache-control', this.cacheControl);
    if (typeof result !== 'object') return result;
    // One tag is one answer (what a 304 relies on), so it is serialized once: JSON.stringify of
    // a page of views was about a third of the route's CPU. Fastify sends a string as it is.
    let body = serialized.get(tag);
    if (body === undefined) serialized.set(tag, (body = JSON.stringify(result)));
    this.reply.type('application/json; charset=utf-8');
    return body;
  }

  private async tagged<T>(work: () => Promise<T>): Promise<{ result: T; tag: string | null }> {
    const store: { parts: unknown[] | null } = { parts: [] };
    const result = await versionsRead.run(store, work);
    if (!store.parts?.length) return { result, tag: null };
    const digest = createHash('sha256').update(JSON.stringify([this.request.url, store.parts]));
    return { result, tag: `W/"${digest.digest('base64url').slice(0, 27)}"` };
  }
}

/**
 * The route's ConditionalGet. `cacheControl` is sent with each ETag: `no-cache` lets any cache
 * keep the answer and ask again with If-None-Match each time; a feed, which needs a token, says
 * `private, no-cache`.
 */
export const Conditional = createParamDecorator(
  (cacheControl: string | undefined, context: ExecutionContext) =>
    new ConditionalGet(
      context.switchToHttp().getRequest<FastifyRequest>(),
      context.switchToHttp().getResponse<FastifyReply>(),
      cacheControl ?? 'no-cache',
    ),
);

/** Documents If-None-Match and the 304. */
export const ApiConditional = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description:
        'The ETag of an earlier answer (each 200 has one, unless what it shows changes with the clock): 304 while it still holds, on any instance',
    }),
    ApiResponse({
      status: 304,
      description: 'Not Modified: the answer whose ETag was given still holds; no body',
      headers: { ETag: { description: 'The same entity tag', schema: { type: 'string' } } },
    }),
  );
