import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, ValidateBy, validateSync } from 'class-validator';
import { transportUrlProblem } from '@consultant-calendar/client/wire';
import { parseCorsOrigins } from './cors-origins';
import { parseTrustProxy } from './trust-proxy';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : value === true || value === 'true' || value === '1'
      ? true
      : value === false || value === 'false' || value === '0'
        ? false
        : value;

/**
 * A whole number from `min` (to `max`), given as digits. Checked in this order and reported at
 * the first that fails, so `PORT=abc` says it is not a number rather than quoting a bound.
 */
const WholeNumber = (min: number, max?: number) =>
  applyDecorators(
    Transform(toInt),
    IsInt({ message: ({ property }) => `${property} must be a whole number, written in digits` }),
    Min(min),
    ...(max === undefined ? [] : [Max(max)]),
  );

/** A count of at least 1 (and at most `max`), given as digits. */
const Count = (max?: number) => WholeNumber(1, max);

/** A setting that may be left unset, and is otherwise a non-empty string. */
const OptionalText = () => applyDecorators(IsOptional(), IsString(), MinLength(1));

/** The prefixes the service gives the tokens it makes; a configured secret may carry only its own. */
const TOKEN_PREFIXES = { admin: 'cc_a_', consultant: 'cc_c_', user: 'cc_u_', internal: 'cc_i_' } as const;
const MIN_DISTINCT_CHARACTERS = 8;

/** Why a configured secret token would be weak or mistaken for another kind, or undefined. */
export function secretTokenProblem(kind: 'admin' | 'internal', value: string): string | undefined {
  const foreign = Object.entries(TOKEN_PREFIXES).find(([owner, prefix]) => owner !== kind && value.startsWith(prefix));
  if (foreign) return `must not begin with ${foreign[1]}, the prefix of the service's ${foreign[0]} tokens`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS)
    return `has too little variety: use at least ${MIN_DISTINCT_CHARACTERS} different characters (a random value)`;
  return undefined;
}

const SecretToken = (kind: 'admin' | 'internal') =>
  ValidateBy({
    name: 'secretToken',
    validator: {
      validate: (value) => typeof value === 'string' && secretTokenProblem(kind, value) === undefined,
      defaultMessage: (args) => `${args?.property} ${secretTokenProblem(kind, String(args?.value))}`,
    },
  });

/** Every setting the service reads, with its default. `.env.example` mirrors this class. */
export class AppConfig {
  @WholeNumber(0, 65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /** Unset: the embedded PGlite database under DATA_DIR. */
  @OptionalText()
  DATABASE_URL?: string;

  /** Where the embedded database keeps its files; `memory://` keeps nothing. */
  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  // Listed first, so checked (and reported) after the length: decorators apply from the bottom.
  @SecretToken('admin')
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  // Internal messages (README "Internal messages"): the transport, and the token callers send.

  /** `off`, or tcp://, nats://, redis:// or amqp:// (see src/messaging/transport-url.ts). */
  @ValidateBy({
    name: 'transportUrl',
    validator: {
      validate: (value) => transportUrlProblem(value) === undefined,
      defaultMessage: (args) => `MICROSERVICE_URL ${transportUrlProblem(args?.value)}`,
    },
  })
  MICROSERVICE_URL = 'tcp://127.0.0.1:3001';

  @SecretToken('internal')
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'INTERNAL_TOKEN must be at least 32 characters' })
  INTERNAL_TOKEN?: string;

  /** Open connections on a TCP message port; more are dropped as they arrive. */
  @Count(100_000)
  MESSAGE_MAX_CONNECTIONS = 100;

  /** KB one TCP connection may send towards an unfinished frame; a longer frame closes it. */
  @Count(1024)
  MESSAGE_MAX_FRAME_KB = 128;

  /** MB of unfinished frames all TCP connections together may hold; past it, the one that overflows is closed. */
  @Count(1024)
  MESSAGE_BUFFER_BUDGET_MB = 8;

  /** A TCP frame must be whole this long (ms) after its first byte. */
  @Count(600_000)
  MESSAGE_FRAME_TIMEOUT_MS = 10_000;

  /** TCP messages with a wrong INTERNAL_TOKEN per client address per minute; past it, its connections are closed. */
  @Count()
  MESSAGE_TOKEN_FAILURES_PER_MINUTE = 10;

  // The tls:// message port's PEM files (src/messaging/message-tls.ts reads and checks them).

  /** The port's certificate (chain); required with tls://. */
  @OptionalText()
  MESSAGE_TLS_CERT_FILE?: string;

  /** The certificate's private key; required with tls://. */
  @OptionalText()
  MESSAGE_TLS_KEY_FILE?: string;

  /** Set: callers must present a client certificate this CA signed. */
  @OptionalText()
  MESSAGE_TLS_CA_FILE?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Count(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBool)
  @IsIn([true, false], { message: 'MIGRATIONS_RUN must be true or false' })
  MIGRATIONS_RUN = true;

  @Count()
  RATE_LIMIT_PER_MINUTE = 600;

  @Count(100000)
  MAX_FUTURE_BOOKINGS_PER_USER = 50;

  /** Live holds one user may have at once (POST /holds), so one account cannot hold every slot. */
  @Count(1000)
  MAX_HOLDS_PER_USER = 3;

  /** Sign-up attempts per client address per hour: each sign-up mints a fresh token and budget. */
  @Count()
  SIGNUPS_PER_IP_PER_HOUR = 10;

  /** Requests per client address per minute whose token is missing (where needed), malformed or unknown. */
  @Count()
  FAILED_AUTH_PER_IP_PER_MINUTE = 30;

  /** How often (ms) each instance deletes Idempotency-Keys past their 24 hours, in small batches. */
  @Count(86_400_000)
  IDEMPOTENCY_PURGE_INTERVAL_MS = 600_000;

  /** Booking (and hold) attempts per client address per hour, whatever the account; the admin is exempt. */
  @Count()
  BOOKINGS_PER_IP_PER_HOUR = 60;

  /** Which X-Forwarded-For hops to believe: off, a hop count, or the proxies' addresses (config/trust-proxy.ts). */
  @ValidateBy({
    name: 'trustProxy',
    validator: {
      validate: (value) => typeof value === 'string' && parseTrustProxy(value) !== undefined,
      defaultMessage: () =>
        'TRUST_PROXY must be false, a hop count (1-100), or a comma list of proxy addresses or CIDR ranges',
    },
  })
  TRUST_PROXY = 'false';

  /** Which browser origins may call the API: unset none, `*` any for public reads, or a comma list (config/cors-origins.ts). */
  @IsOptional()
  @ValidateBy({
    name: 'corsOrigins',
    validator: {
      validate: (value) => typeof value === 'string' && parseCorsOrigins(value) !== undefined,
      defaultMessage: () =>
        'CORS_ORIGINS must be *, or a comma list of origins (scheme://host[:port]) such as https://app.example.com',
    },
  })
  CORS_ORIGINS?: string;

  /** Slots one calendar view may answer with; a larger answer is narrowed or refused, never sent. */
  @Count(1_000_000)
  MAX_SLOTS_PER_RESPONSE = 5000;

  // Events (README "Events"): the outbox relay, its retention, and webhooks.

  /**
   * Whether the policy's client share also counts by client address (so more accounts from one
   * address share one budget); false where one address books for many people without TRUST_PROXY.
   */
  @Transform(toBool)
  @IsIn([true, false], { message: 'CLIENT_SHARE_BY_ADDRESS must be true or false' })
  CLIENT_SHARE_BY_ADDRESS = true;

  /** Whether this instance delivers the outbox; any number of instances may. */
  @Transform(toBool)
  @IsIn([true, false], { message: 'EVENTS_RELAY must be true or false' })
  EVENTS_RELAY = true;

  /** Delivered events are kept this many days, then purged. */
  @Count(3650)
  OUTBOX_RETENTION_DAYS = 7;

  /** How often the relay looks for events on the embedded database (PostgreSQL wakes it by NOTIFY). */
  @Count(60_000)
  OUTBOX_POLL_MS = 250;

  /** Webhook targets on loopback, private, link-local or metadata addresses are refused unless true (tests, a private network). */
  @Transform(toBool)
  @IsIn([true, false], { message: 'WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS = false;

  /** How long one webhook POST may take, answer included. */
  @Count(60_000)
  WEBHOOK_TIMEOUT_MS = 5000;

  /** The first retry's delay; each next one doubles (up to an hour), with jitter. */
  @Count(3_600_000)
  WEBHOOK_RETRY_DELAY_MS = 5000;

  /** A delivery is retried this long, then given up. */
  @Count(30 * 86_400)
  WEBHOOK_RETRY_WINDOW_SECONDS = 86_400;

  /** A subscription whose every attempt failed for this long is disabled. */
  @Count(30 * 86_400)
  WEBHOOK_DISABLE_AFTER_SECONDS = 86_400;

  /** How often the webhook sender looks for due retries (a new event wakes it at once). */
  @Count(60_000)
  WEBHOOK_POLL_MS = 500;

  /** Webhook subscriptions one consultant may have, its own and the admin's for it together. */
  @Count(1000)
  WEBHOOKS_PER_OWNER = 10;

  // Several instances (README "Several instances"): shared limits, draining, metrics.

  /** Set: every limit counts in this Redis, shared by all instances; unset: in each process's memory. */
  @OptionalText()
  @ValidateBy({
    name: 'redisUrl',
    validator: {
      validate: (value) => typeof value === 'string' && /^rediss?:\/\/\S+$/.test(value),
      defaultMessage: () => 'REDIS_URL must be a redis:// or rediss:// URL',
    },
  })
  REDIS_URL?: string;

  /** After SIGTERM, how long (ms) /health/ready fails while requests are still served, before the server closes. */
  @WholeNumber(0, 600_000)
  SHUTDOWN_DRAIN_MS = 0;

  /** Set: GET /metrics (Prometheus) on this port of METRICS_HOST, never on the public PORT; unset: no metrics. */
  @IsOptional()
  @Count(65535)
  METRICS_PORT?: number;

  @IsString()
  METRICS_HOST = '127.0.0.1';
}

/** Validates the environment; the first bad variable becomes one readable line. */
export function validateConfig(env: Record<string, unknown>): AppConfig {
  const known = Object.fromEntries(
    Object.keys(new AppConfig())
      .concat('DATABASE_URL', 'ADMIN_TOKEN', 'INTERNAL_TOKEN', 'CORS_ORIGINS')
      .concat('MESSAGE_TLS_CERT_FILE', 'MESSAGE_TLS_KEY_FILE', 'MESSAGE_TLS_CA_FILE')
      .concat('REDIS_URL', 'METRICS_PORT')
      .map((k) => [k, env[k]])
      .filter(([, v]) => v !== undefined && v !== ''),
  );
  const config = plainToInstance(AppConfig, known);
  const [error] = validateSync(config, { skipMissingProperties: false, stopAtFirstError: true });
  if (error) {
    const message = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    throw new ConfigError(
      `Invalid configuration: ${error.property}=${JSON.stringify(env[error.property])}: ${message}`,
    );
  }
  return config;
}

export class ConfigError extends Error {}
