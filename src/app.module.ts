import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AvailabilityModule } from './availability/availability.module';
import { BookingsModule } from './bookings/bookings.module';
import { CalendarModule } from './calendar/calendar.module';
import { AuthGuard } from './common/auth/auth.guard';
import { InternalToken } from './common/auth/internal-token';
import { PrincipalCacheModule } from './common/auth/principal-cache';
import { PrincipalRevocationsModule } from './common/auth/principal-revocations';
import { ClientThrottlerGuard, clientThrottlers } from './common/http/client-throttler.guard';
import { RateLimitStore } from './common/http/rate-limit-store';
import { RateLimitStorageModule } from './common/http/rate-limit-storage.module';
import { ProblemDetailsFilter } from './common/http/problem-details.filter';
import { AppConfig, validateConfig } from './config/configuration';
import { ConsultantsModule } from './consultants/consultants.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './database/health.module';
import { RecurringModule } from './recurring/recurring.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { MetricsModule } from './operations/metrics';
import { SharedRedisModule } from './operations/shared-redis';

const MAX_LOGGED_CHARS = 2048;

const pathOf = (url = '') => url.split('?', 1)[0];

/** The route the request matched (`/bookings/:id`), as createAdapter noted it; "none" for a 404. */
const routeOf = (req: IncomingMessage) => (req as IncomingMessage & { route?: string }).route ?? 'none';

@Module({})
export class AppModule {
  /** Built at bootstrap, not at import, so the environment is read when the app starts. */
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateConfig }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<AppConfig, true>) => ({
            // Every route (nestjs-pino's default pattern matches none under Fastify here).
            forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
            pinoHttp: {
              level: config.get('LOG_LEVEL', { infer: true }),
              customProps: () => ({ context: 'HTTP' }),
              // Callers choose much of what a line says (a pattern, a value); none carries more than 2 KB of it.
              hooks: {
                logMethod(args, method) {
                  const bounded = args.map((arg: unknown) =>
                    typeof arg === 'string' && arg.length > MAX_LOGGED_CHARS
                      ? `${arg.slice(0, MAX_LOGGED_CHARS)}…`
                      : arg,
                  );
                  method.apply(this, bounded as typeof args);
                },
              },
              // One line per request: its id, method, path and route, status and time. Headers and the
              // query stay out of it (the id joins it to whatever else the request logged).
              serializers: {
                req: ({ id, method, url }: { id: string; method: string; url: string }) => ({
                  id,
                  method,
                  path: pathOf(url),
                }),
                res: ({ statusCode }: { statusCode: number }) => ({ statusCode }),
              },
              customSuccessObject: (req, _res, line: object) => ({ ...line, route: routeOf(req) }),
              customErrorObject: (req, _res, _error, line: object) => ({ ...line, route: routeOf(req) }),
              customSuccessMessage: (req, res, time) =>
                `${req.method} ${pathOf(req.url)} ${res.statusCode} in ${time} ms`,
              customErrorMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode} failed`,
              // /health and its live and ready probes are polled; logging every probe drowns the useful lines.
              autoLogging: { ignore: (req) => routeOf(req).startsWith('/health') },
              // An outage (503) is a warning; only our own failures (other 5xx) are errors.
              customLogLevel: (_req, res, err) =>
                res.statusCode === 503 ? 'warn' : res.statusCode >= 500 || err ? 'error' : 'info',
            },
          }),
        }),
        SharedRedisModule,
        MetricsModule,
        RateLimitStorageModule,
        ThrottlerModule.forRootAsync({
          inject: [ConfigService, RateLimitStore],
          useFactory: (config: ConfigService<AppConfig, true>, storage: RateLimitStore) => ({
            throttlers: clientThrottlers(config),
            storage,
          }),
        }),
        DatabaseModule,
        PrincipalCacheModule,
        PrincipalRevocationsModule,
        HealthModule,
        ConsultantsModule,
        UsersModule,
        AvailabilityModule,
        RecurringModule,
        BookingsModule,
        CalendarModule,
        EventsModule,
        WebhooksModule,
      ],
      providers: [
        InternalToken,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Authentication first, so the rate limit counts per principal. Made-up tokens cannot dodge
        // a budget either: each failure counts against the client address (FAILED_AUTH_PER_IP_PER_MINUTE),
        // and once that is spent the auth guard refuses before any lookup.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: ClientThrottlerGuard },
      ],
    };
  }
}
