import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AppConfig } from '../config/configuration';
import type { AttemptError } from './entities/webhook-delivery.entity';
import { checkedAddresses, ForbiddenTargetError, hostOf, WebhookResolver } from './webhook-target';
import { signedHeaders } from './webhook-signature';

export interface SendResult {
  ok: boolean;
  durationMs: number;
  status: number | null;
  /** What the subscriber is shown of a failure. */
  error: AttemptError | null;
  /** The failure's own text (addresses, errno), for the service's log only. */
  detail: string | null;
}

/** A request that failed, with how far it got: which tells the subscriber what failed, in one word. */
class RequestFailed extends Error {
  constructor(
    readonly error: AttemptError,
    cause: NodeJS.ErrnoException,
  ) {
    super(`${cause.code ?? cause.name}: ${cause.message}`);
  }
}

/** Bytes of a receiver's answer read before the connection is dropped: only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** An idle kept connection is closed after this. */
const IDLE_SOCKET_MS = 15_000;

/** The promise's outcome, or the signal's reason if it aborts first (the work itself goes on unheeded). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * POSTs one signed webhook. The host's name is resolved here, every address checked, and the
 * connection made to a checked one (the socket's `lookup` is the checked resolution), so a name
 * that resolves elsewhere between the check and the connect cannot reach a private address.
 * Redirects are not followed (Node's http never does): a 3xx is a failed attempt.
 * Connections are kept alive between POSTs (a handshake per POST cost both ends more than the
 * POST): each was made to a checked address, and the name is checked again before every POST.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly agents = {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly resolver: WebhookResolver,
  ) {}

  /** After every module's destroy hook: the dispatcher's POSTs in flight have ended by then. */
  onApplicationShutdown(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  async send(target: string, secret: string, id: string, body: string): Promise<SendResult> {
    const started = performance.now();
    const done = (status: number | null, error: AttemptError | null, detail: string | null = null): SendResult => ({
      ok: status !== null && status >= 200 && status < 300,
      durationMs: Math.round(performance.now() - started),
      status,
      error,
      detail,
    });
    // One time limit for the whole attempt, the name's resolution included.
    const timeoutMs = this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true });
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const url = new URL(target);
      const allowPrivate = this.config.get('WEBHOOK_ALLOW_PRIVATE_TARGETS', { infer: true });
      const [first] = await untilAborted(checkedAddresses(this.resolver, hostOf(url), allowPrivate), signal);
      const lookup: LookupFunction = (_hostname, options, callback) => {
        if ((options as { all?: boolean }).all) (callback as (e: null, a: unknown[]) => void)(null, [first]);
        else callback(null, first.address, first.family);
      };
      const status = await this.post(
        url,
        {
          method: 'POST',
          lookup,
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'consultant-calendar-webhooks',
            ...signedHeaders(secret, id, body),
          },
          signal,
        },
        body,
      );
      return done(status, status >= 200 && status < 300 ? null : `http-${status}`);
    } catch (error) {
      if (signal.aborted) return done(null, 'timeout', `no answer within ${timeoutMs} ms`);
      if (error instanceof ForbiddenTargetError)
        return done(null, error.refusal === 'unresolved' ? 'unresolved-target' : 'refused-target', error.message);
      if (error instanceof RequestFailed) return done(null, error.error, error.message);
      return done(null, 'connection-failed', String(error));
    }
  }

  /**
   * The answer's status, once the answer has been read (or given up on). A kept connection that
   * the receiver closed while it lay idle fails before the receiver read anything; the POST is
   * then made again (such a failure discards its connection, so this ends).
   */
  private post(url: URL, options: RequestOptions & { signal: AbortSignal }, body: string): Promise<number> {
    const https = url.protocol === 'https:';
    const request = https ? httpsRequest : httpRequest;
    const agent = this.agents[https ? 'https:' : 'http:'];
    return new Promise((resolve, reject) => {
      // How far the request got when it failed: the connection, TLS's handshake, or the answer.
      let failed: AttemptError = 'connection-failed';
      const req: ClientRequest = request(url, { ...options, agent }, (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      });
      req.on('socket', (socket) => {
        // A kept connection is connected (and secured) already, and keeps no listener per POST.
        if (req.reusedSocket) failed = 'no-answer';
        else {
          socket.once('connect', () => (failed = https ? 'tls-failed' : 'no-answer'));
          if (https) socket.once('secureConnect', () => (failed = 'no-answer'));
        }
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && error.code === 'ECONNRESET' && !options.signal.aborted)
          this.post(url, options, body).then(resolve, reject);
        else reject(new RequestFailed(failed, error));
      });
      req.end(body);
    });
  }
}
