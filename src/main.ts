import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AppModule } from './app.module';
import { badRequest, problemOf, toProblem } from './common/errors';
import { sendProblem } from './common/http/problem-details.filter';
import { appValidationPipe } from './common/validation/validation.pipe';
import { AppConfig, ConfigError } from './config/configuration';
import { corsOptions, parseCorsOrigins } from './config/cors-origins';
import { parseTrustProxy } from './config/trust-proxy';
import { connectMessageTransport, startMessageTransport } from './messaging/message-transport';
import { createOpenApiDocument } from './openapi-document';
import { drainAndClose } from './operations/readiness';

export const BODY_LIMIT_BYTES = 100 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Node's HTTP parser refuses what it cannot read (headers over 16 KB, a request that is not HTTP)
 * before Fastify has a request to answer; those answers are problems too. Then the socket closes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = problemOf(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers-too-large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request-timeout'
        : 'malformed-request',
  );
  const body = JSON.stringify(problem);
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

/**
 * The Fastify adapter with our limits, error answers and request ids; one per application.
 * Made after AppModule.register(), which loads `.env` into the environment: the adapter exists
 * before the config service, so it reads TRUST_PROXY there (a bad value, taken as off here, stops
 * start-up in the config validation with one line).
 */
export function createAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Every per-address limit counts request.ip: the socket's address unless proxies are trusted.
    trustProxy: parseTrustProxy(process.env.TRUST_PROXY) ?? false,
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false,
    return503OnClosing: false,
    // The router refuses a URL with broken percent-encoding, or a path parameter over 100
    // characters, before any hook or filter runs; answer those as problems too (no id is that long).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('x-request-id', request.id);
      const refusal =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? badRequest('A path parameter is longer than 100 characters', [
              { field: 'path', message: 'has a parameter over 100 characters' },
            ])
          : error.code === 'FST_ERR_BAD_URL'
            ? badRequest('The URL is not valid', [{ field: 'path', message: 'has a broken percent-encoding' }])
            : error;
      sendProblem(reply, request, toProblem(refusal));
    },
    clientErrorHandler: answerClientError,
    // A caller's X-Request-Id is kept when it is sane, so logs can be joined across services.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  // JSON in, nothing else: with Nest's form parser off (bodyParser: false) and Fastify's text
  // parser removed, any other body is a 415.
  fastify.removeContentTypeParser('text/plain');
  // While draining after SIGTERM, requests still arriving on open keep-alive connections are
  // told to retry elsewhere, as a problem like any other (Fastify's own 503 is plain JSON).
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    // pino-http reads the id, and the request's log line the route, from the raw request.
    Object.assign(request.raw, { id: request.id, route: request.routeOptions.url });
    void reply.header('x-request-id', request.id);
    if (closing) {
      void reply.header('connection', 'close');
      sendProblem(reply, request, problemOf('shutting-down'));
      return reply;
    }
  });
  return adapter;
}

/**
 * Start-up errors are reported once, by main(); Nest's own logger would print them twice.
 * bodyParser: false leaves only Fastify's JSON parser (with the body limit above).
 */
export const APP_OPTIONS = {
  bufferLogs: true,
  abortOnError: false,
  logger: false,
  bodyParser: false,
} as const satisfies NestApplicationOptions;

/**
 * What every instance of the app gets on top of its module: logger, validation, the internal
 * message transport (started by `startMessageTransport`) and the OpenAPI document. `bootstrap`
 * and the tests' `Test.createTestingModule` both go through it.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(appValidationPipe());
  const origins = app.get<ConfigService<AppConfig, true>>(ConfigService).get('CORS_ORIGINS', { infer: true });
  if (origins) app.enableCors(corsOptions(parseCorsOrigins(origins)!));
  // After the global pipe, which the transport inherits as it connects.
  connectMessageTransport(app);

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

/** Builds the fully configured app, as `npm start` serves it. */
export async function bootstrap(): Promise<NestFastifyApplication> {
  const appModule = AppModule.register();
  const app = await NestFactory.create<NestFastifyApplication>(appModule, createAdapter(), APP_OPTIONS);
  return configureApp(app);
}

async function main(): Promise<void> {
  const app = await bootstrap();
  // SIGTERM: fail /health/ready for SHUTDOWN_DRAIN_MS, then stop accepting, let in-flight
  // requests finish, close the database, exit 0.
  // (Nest's enableShutdownHooks re-raises the signal, which would end the process with it.)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      drainAndClose(app).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  const messages = await startMessageTransport(app);
  await app.listen({ port: config.get('PORT', { infer: true }), host: config.get('HOST', { infer: true }) });
  app
    .get(Logger)
    .log(`Listening on ${await app.getUrl()} (docs at /docs)${messages ? `; messages on ${messages}` : ''}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // One clear line for a bad setting; the full error for anything else.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
