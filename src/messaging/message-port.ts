import { Logger } from '@nestjs/common';
import { ServerTCP, TcpContext } from '@nestjs/microservices';
import { LRUCache } from 'lru-cache';
import type { Server, Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { AppConfig } from '../config/configuration';

/** What one TCP message port lets its callers hold (README "Internal messages", the MESSAGE_* settings). */
export interface MessagePortLimits {
  /** Open connections; past it, new ones are dropped as they arrive. */
  maxConnections: number;
  /** Bytes one connection may have received towards a frame it has not finished. */
  maxFrameBytes: number;
  /** Bytes of unfinished frames all connections together may hold. */
  bufferBudgetBytes: number;
  /** A frame must be whole this long after its first byte, and an unfinished one may not sit idle longer. */
  frameTimeoutMs: number;
  /** Messages with a wrong INTERNAL_TOKEN per client address per minute. */
  tokenFailuresPerMinute: number;
}

/** The limits the MESSAGE_* settings give, read through `setting`. */
export const portLimits = (setting: <K extends keyof AppConfig>(key: K) => AppConfig[K]): MessagePortLimits => ({
  maxConnections: setting('MESSAGE_MAX_CONNECTIONS'),
  maxFrameBytes: setting('MESSAGE_MAX_FRAME_KB') * 1024,
  bufferBudgetBytes: setting('MESSAGE_BUFFER_BUDGET_MB') * 1024 * 1024,
  frameTimeoutMs: setting('MESSAGE_FRAME_TIMEOUT_MS'),
  tokenFailuresPerMinute: setting('MESSAGE_TOKEN_FAILURES_PER_MINUTE'),
});

const TOKEN_FAILURE_WINDOW_MS = 60_000;

/** One accepted connection's share of the port's budgets. */
interface Connection {
  address: string;
  /** Bytes received since the last whole frame. */
  pending: number;
  framed: boolean;
  deadline?: NodeJS.Timeout;
}

const connections = new WeakMap<Socket, { port: LimitedTcpServer; connection: Connection }>();

/**
 * Nest's TCP server with limits a caller cannot talk its way past, before or after
 * authentication: a connection limit, a per-connection and a total budget of unfinished frame
 * bytes, a deadline for each frame, and a budget of wrong service tokens per address. Past any
 * of them the connection is destroyed (never half-closed: a hostile peer need not answer a FIN)
 * and a warning counts it; nothing a caller sends can grow the heap beyond the budgets.
 */
export class LimitedTcpServer extends ServerTCP {
  private readonly limits: MessagePortLimits;
  private readonly portLogger = new Logger('MessagePort');
  private buffered = 0;
  private readonly closedFor = new Map<string, number>();
  private readonly tokenFailures = new LRUCache<string, number>({
    max: 10_000,
    ttl: TOKEN_FAILURE_WINDOW_MS,
    noUpdateTTL: true,
  });

  constructor(options: Record<string, unknown> & { limits: MessagePortLimits; tlsOptions?: TlsOptions }) {
    super({
      ...options,
      // Nest's own frame checks, as a backstop to ours: it counts characters (a byte or more
      // each) of what it holds, and its idle timer restarts at every byte. Both are twice ours,
      // so ours always close first and say why in the log.
      maxBufferSize: 2 * options.limits.maxFrameBytes,
      incompleteMessageTimeout: 2 * options.limits.frameTimeoutMs,
      // Over TLS, a connection is ours (bindHandler) only once its handshake is done; until then
      // it holds a connection slot, for no longer than a frame may take (Node's default: 120 s).
      ...(options.tlsOptions && {
        tlsOptions: { handshakeTimeout: options.limits.frameTimeoutMs, ...options.tlsOptions },
      }),
    });
    this.limits = options.limits;
    const server = this.unwrap<Server>();
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', (dropped) =>
      this.count(`more than ${this.limits.maxConnections} connections`, dropped?.remoteAddress),
    );
    // A TLS server only: a plain-TCP caller, a wrong or missing client certificate, a handshake past its time.
    server.on('tlsClientError', (_error: Error, socket: Socket) => {
      socket.destroy();
      this.count('a failed TLS handshake', socket.remoteAddress);
    });
  }

  override bindHandler(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    if (this.tokenBudgetSpent(address)) return this.refuse(socket, address, 'wrong service tokens from this address');
    super.bindHandler(socket);
    const connection: Connection = { address, pending: 0, framed: false };
    connections.set(socket, { port: this, connection });
    // Registered after the JSON socket's own listeners, so each chunk is counted once it has been framed.
    socket.on('message', () => {
      connection.framed = true;
      clearTimeout(connection.deadline);
      connection.deadline = undefined;
    });
    socket.on('data', (chunk: Buffer) => this.received(socket, connection, chunk.length));
    // The JSON socket reports a broken frame as an error and only half-closes; end it here.
    socket.on('error', (error: unknown) => {
      if (typeof error === 'string') this.refuse(socket, address, `a bad frame: ${error.slice(0, 100)}`);
    });
    socket.on('close', () => this.release(connection));
  }

  /** Nest reports each closed bad frame too, as an error with a stack: the warning above counts it once. */
  protected override handleError(error: string): void {
    if ((error as unknown as Error)?.constructor?.name !== 'InvalidTcpDataReceptionException') super.handleError(error);
  }

  private received(socket: Socket, connection: Connection, bytes: number): void {
    if (socket.destroyed) return;
    const before = connection.pending;
    // A chunk that finished a frame leaves at most its own length behind: counted as none.
    connection.pending = connection.framed ? 0 : before + bytes;
    connection.framed = false;
    this.buffered += connection.pending - before;
    if (connection.pending > this.limits.maxFrameBytes)
      return this.refuse(socket, connection.address, `a frame over ${this.limits.maxFrameBytes} bytes`);
    if (this.buffered > this.limits.bufferBudgetBytes)
      return this.refuse(
        socket,
        connection.address,
        `unfinished frames over ${this.limits.bufferBudgetBytes} bytes in all`,
      );
    if (connection.pending > 0 && !connection.deadline) {
      connection.deadline = setTimeout(
        () => this.refuse(socket, connection.address, `a frame unfinished after ${this.limits.frameTimeoutMs} ms`),
        this.limits.frameTimeoutMs,
      );
      connection.deadline.unref();
    }
  }

  private release(connection: Connection): void {
    clearTimeout(connection.deadline);
    this.buffered -= connection.pending;
    connection.pending = 0;
  }

  /** Counts a wrong service token against the address; the one that spends its budget closes the connection. */
  tokenRefused(socket: Socket, connection: Connection): void {
    const failures = (this.tokenFailures.get(connection.address) ?? 0) + 1;
    this.tokenFailures.set(connection.address, failures);
    if (failures >= this.limits.tokenFailuresPerMinute)
      this.refuse(socket, connection.address, 'wrong service tokens from this address');
  }

  private tokenBudgetSpent(address: string): boolean {
    return (this.tokenFailures.get(address) ?? 0) >= this.limits.tokenFailuresPerMinute;
  }

  private refuse(socket: Socket, address: string, reason: string): void {
    if (socket.destroyed) return;
    socket.destroy();
    this.count(reason, address);
  }

  private count(reason: string, address = 'unknown'): void {
    const total = (this.closedFor.get(reason) ?? 0) + 1;
    this.closedFor.set(reason, total);
    this.portLogger.warn(`Closed a message connection from ${address}: ${reason} (${total} so far for this reason)`);
  }
}

/**
 * Called by the auth guard for each message refused for its service token: on the TCP port, the
 * caller's address spends one of its MESSAGE_TOKEN_FAILURES_PER_MINUTE, and past them its
 * connections are closed. Brokers (NATS, Redis, RabbitMQ) authenticate their own clients.
 */
export function serviceTokenRefused(context: unknown): void {
  if (!(context instanceof TcpContext)) return;
  const socket = (context.getSocketRef() as unknown as { netSocket: Socket }).netSocket;
  const entry = connections.get(socket);
  entry?.port.tokenRefused(socket, entry.connection);
}
