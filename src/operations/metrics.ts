import {
  Global,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { sqlNames } from '../database/sql-names';
import { OutboxEvent } from '../events/entities/outbox-event.entity';

/** The routes that create a booking, whose every answer is counted by outcome. */
const BOOKING_ROUTES = new Set(['POST /bookings', 'POST /consultant/:id/reserve']);

/** The pg pool under TypeORM's PostgreSQL driver, as far as the gauges read it. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The Prometheus series of one instance (README "Metrics"), served in Prometheus' text format
 * on METRICS_PORT only, never on the public port: what they tell (routes, volumes, outcomes) is
 * for operators. Without METRICS_PORT the counters still count (a few additions per request) and
 * nothing listens.
 */
@Injectable()
export class Metrics implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();
  private server?: Server;

  private readonly requests = new Counter({
    name: 'cc_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'cc_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly bookings = new Counter({
    name: 'cc_bookings_total',
    help: 'Booking requests over HTTP by outcome: created, or the problem type that refused them',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'cc_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly keptViews = new Counter({
    name: 'cc_calendar_kept_views_total',
    help: "Calendar views' per-consultant lookups in the kept views: hit (served from it) or miss (computed)",
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly adapterHost: HttpAdapterHost,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    const e = sqlNames<OutboxEvent>(db.getMetadata(OutboxEvent));
    const oldestSql = `SELECT EXTRACT(EPOCH FROM now() - min(${e.occurredAt}))::float8 AS age FROM ${e.table} WHERE ${e.deliveredAt} IS NULL`;
    new Gauge({
      name: 'cc_outbox_lag_seconds',
      help: "The oldest undelivered outbox event's age (0 when none waits)",
      registers: [this.registry],
      // A scrape answers all or nothing: while the database is down this series is left out
      // (NaN) rather than failing the scrape that should show the outage.
      collect: async function () {
        try {
          const [row] = await db.query<{ age: number | null }[]>(oldestSql);
          this.set(row?.age ?? 0);
        } catch {
          this.set(NaN);
        }
      },
    });
    new Gauge({
      name: 'cc_db_pool_connections',
      help: "This instance's database pool: connections in use, idle, and queries waiting for one",
      labelNames: ['state'],
      registers: [this.registry],
      collect: function () {
        const pool = (db.driver as unknown as { master?: PoolCounts }).master;
        if (!pool) return;
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  /** Counts every answer, before the app's routes are registered (Fastify takes hooks until it is ready). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onSend', async (request, reply, payload) => {
      const route = `${request.method} ${request.routeOptions.url}`;
      if (BOOKING_ROUTES.has(route)) this.bookings.inc({ outcome: bookingOutcome(reply.statusCode, payload) });
      return payload;
    });
    fastify.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label: a scanner must not create a series per path it tries.
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: reply.statusCode });
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('METRICS_PORT', { infer: true });
    if (port === undefined) return;
    // Event-loop lag, heap, GC and the process's own series, only where someone scrapes them.
    collectDefaultMetrics({ register: this.registry, prefix: 'cc_' });
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => {
          this.logger.warn(`a scrape failed: ${String(error)}`);
          res.writeHead(503).end();
        },
      );
    });
    this.server.listen(port, this.config.get('METRICS_HOST', { infer: true }));
    await once(this.server, 'listening');
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

/** `created` for a 2xx, else the refusal's problem type without its `/problems/` prefix. */
function bookingOutcome(status: number, payload: unknown): string {
  if (status < 300) return 'created';
  try {
    const type = (JSON.parse(String(payload)) as { type?: unknown }).type;
    return typeof type === 'string' ? type.replace(/^\/problems\//, '') : String(status);
  } catch {
    return String(status);
  }
}

@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
