/**
 * The HTTP limit: a bare Fastify server (the same Fastify the service runs on, with nothing on
 * top) answering with a body of a given size, in its own process like the service.
 *
 *   GET  /get/:size          200 with a JSON body of exactly `size` bytes
 *   POST /post/:size         parses the JSON body, then 201 with `size` bytes
 *   GET  /health             200
 *
 * PORT and HOST come from the environment (defaults 3100 and 127.0.0.1).
 */
import Fastify from 'fastify';

const bodies = new Map<number, string>();

/** `{"pad":"xxx…"}` of exactly `size` bytes (at least the 11 bytes of the wrapper). */
function bodyOf(size: number): string {
  let body = bodies.get(size);
  if (body === undefined) {
    body = JSON.stringify({ pad: 'x'.repeat(Math.max(0, size - 10)) });
    bodies.set(size, body);
  }
  return body;
}

async function main(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 100 * 1024 });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get<{ Params: { size: string } }>('/get/:size', async (request, reply) => {
    void reply.header('content-type', 'application/json; charset=utf-8');
    return bodyOf(Number(request.params.size));
  });
  app.post<{ Params: { size: string }; Body: unknown }>('/post/:size', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send();
    void reply.code(201).header('content-type', 'application/json; charset=utf-8');
    return bodyOf(Number(request.params.size));
  });
  await app.listen({ port: Number(process.env.PORT ?? 3100), host: process.env.HOST ?? '127.0.0.1' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
