/**
 * Issue 22, the message transports, against the built service in its own process: the TCP port
 * served over TLS (`tls://`), and hostile packets sent raw, with each broker's own client
 * library, answered with a problem on every transport, the service serving on afterwards.
 */
import { connect as natsConnect } from '@nats-io/transport-node';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { connect as amqpConnect } from 'amqplib';
import Redis from 'ioredis';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { firstValueFrom, timeout } from 'rxjs';
import { parseTransportUrl, transportOptions, wirePattern } from '@consultant-calendar/client/wire';
import { reachablePorts } from '../support/brokers';
import { eventually } from '../support/eventually';
import { freePort, warnSkipping } from '../support/postgres-server';
import { runToFailure, type ServerProcess, startServer } from '../support/server-process';

const INTERNAL_TOKEN = 'cc_i_hostile-messages-test-token-0123456789';
const AS_NPM_START = { NODE_OPTIONS: '--max-old-space-size=160', DATABASE_URL: '', DATA_DIR: 'memory://' };
const linesOver = (output: string, chars: number) => output.split('\n').filter((line) => line.length > chars);
type Packet = Record<string, unknown>;

/** A throwaway self-signed certificate for 127.0.0.1, and a key that is not its own. */
function throwawayCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'message-tls-'));
  const file = (name: string) => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync(
    'openssl',
    ['req', '-x509', ...ecKey, '-keyout', file('key.pem'), '-out', file('cert.pem')].concat([
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { stdio: 'ignore' },
  );
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file('other.pem'),
  ]);
  return { cert: file('cert.pem'), key: file('key.pem'), otherKey: file('other.pem') };
}

/** One raw connection speaking Nest's `length#json` frames, plain or over TLS. */
function frameConnection(socket: Socket) {
  const replies: Packet[] = [];
  let text = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let hash = text.indexOf('#'); hash > 0; hash = text.indexOf('#')) {
      const end = hash + 1 + Number(text.slice(0, hash));
      if (text.length < end) break;
      replies.push(JSON.parse(text.slice(hash + 1, end)) as Packet);
      text = text.slice(end);
    }
  });
  return {
    replies,
    isClosed: () => closed,
    write: (text: string) => socket.write(text),
    send: (json: string) => socket.write(`${json.length}#${json}`),
    close: () => socket.destroy(),
  };
}

describe('the message port over TLS (MICROSERVICE_URL=tls://)', () => {
  const files = throwawayCertificate();
  const ca = readFileSync(files.cert);
  let server: ServerProcess;
  let port: number;
  const tls = (options: ConnectionOptions = {}) =>
    ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port, tlsOptions: options } });
  const list = (client: ReturnType<typeof tls>) =>
    firstValueFrom(
      client.send('consultants.list', { token: INTERNAL_TOKEN, data: {} }).pipe(timeout({ first: 10_000 })),
    );

  beforeAll(async () => {
    port = await freePort();
    server = await startServer(
      {
        ...AS_NPM_START,
        MICROSERVICE_URL: `tls://127.0.0.1:${port}`,
        MESSAGE_TLS_CERT_FILE: files.cert,
        MESSAGE_TLS_KEY_FILE: files.key,
        INTERNAL_TOKEN,
        MESSAGE_MAX_FRAME_KB: '64',
        MESSAGE_FRAME_TIMEOUT_MS: '1000',
      },
      await freePort(),
    );
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('answers a Nest TCP client that trusts its certificate, as the typed client’s options make it', async () => {
    const client = ClientProxyFactory.create(transportOptions(parseTransportUrl(`tls://127.0.0.1:${port}`)!, { ca }));
    try {
      expect(await list(client)).toEqual({ data: [], next_cursor: null });
    } finally {
      await client.close();
    }
  });

  it('gives no answer to a plain-TCP client, nor to one that does not trust the certificate', async () => {
    const plain = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    const untrusting = tls();
    try {
      await expect(list(plain)).rejects.toBeDefined();
      await expect(list(untrusting)).rejects.toBeDefined();
    } finally {
      await plain.close();
      await untrusting.close();
    }
    await eventually('the failed handshakes to be counted', () =>
      /Closed a message connection from \S+: a failed TLS handshake \(2 so far/.test(server.output())
        ? true
        : undefined,
    );
  });

  it('keeps the port’s limits over TLS: an oversized frame and an unfinished handshake close their connections', async () => {
    const secured = frameConnection(tlsConnect({ host: '127.0.0.1', port, ca }));
    secured.write(`1048000#{"pattern":"consultants.list","pad":"${'x'.repeat(70 * 1024)}`);
    await eventually('the oversized frame’s connection to close', () => (secured.isClosed() ? true : undefined));
    // The warning reaches the captured output after the close the client saw.
    await eventually('the close to be counted', () =>
      /a frame over 65536 bytes/.test(server.output()) ? true : undefined,
    );
    // A TCP connection that never starts its handshake holds its slot no longer than a frame may take.
    const silent = frameConnection(netConnect(port, '127.0.0.1'));
    await eventually('the silent connection to close', () => (silent.isClosed() ? true : undefined));
    await eventually('the close to be counted', () =>
      /a failed TLS handshake \(3 so far/.test(server.output()) ? true : undefined,
    );
    expect(silent.replies).toEqual([]);
    expect(await list(tls({ ca }))).toEqual({ data: [], next_cursor: null });
  });

  it.each([
    [{ MESSAGE_TLS_CERT_FILE: files.cert }, /^MICROSERVICE_URL=tls:\/\/127\.0\.0\.1:\d+\/? needs MESSAGE_TLS_KEY_FILE/],
    [
      { MESSAGE_TLS_KEY_FILE: files.key, MESSAGE_TLS_CERT_FILE: '/nonexistent.pem' },
      /^Cannot read MESSAGE_TLS_CERT_FILE=\/nonexistent\.pem: ENOENT/,
    ],
    [
      { MESSAGE_TLS_CERT_FILE: files.cert, MESSAGE_TLS_KEY_FILE: files.otherKey },
      /^Cannot serve .*key values mismatch/,
    ],
    [
      { MICROSERVICE_URL: 'tcp://127.0.0.1:3001', MESSAGE_TLS_CERT_FILE: files.cert },
      /^MESSAGE_TLS_CERT_FILE is set, but MICROSERVICE_URL=tcp:\/\/127\.0\.0\.1:3001\/? is not tls:\/\/host:port$/,
    ],
  ])('refuses to start with %o, in one line that says why', async (settings, why) => {
    const { code, stderr } = await runToFailure({
      ...AS_NPM_START,
      MICROSERVICE_URL: `tls://127.0.0.1:${await freePort()}`,
      ...settings,
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(why)]);
  });
});

/** Sends raw text where a transport's requests for one pattern go, and resolves with the reply packet. */
interface RawCaller {
  request(text: string): Promise<Packet>;
  /** RabbitMQ only: sends the text with this reply address. */
  requestTo?(text: string, replyTo: string): void;
  /** The same text sent without a reply address or id: an event. */
  emit(text: string): Promise<void>;
  close(): Promise<void>;
}

interface HostileCase {
  name: string;
  broker?: number;
  url: (port: number, namespace: string) => string;
  caller: (port: number, namespace: string, pattern: string) => Promise<RawCaller>;
  /** Where the packet's own pattern picks the handler (TCP, RabbitMQ), rather than its subject or channel. */
  routesByPacket: boolean;
  /** Whether a message can carry a reply address without an id, or be other than JSON, and still be answered. */
  replyAddress: boolean;
}

const REPLY_DEADLINE_MS = 15_000;

const CASES: HostileCase[] = [
  {
    name: 'TCP',
    // All interfaces, to see the warning a plain port beyond the machine gets.
    url: (port) => `tcp://0.0.0.0:${port}`,
    routesByPacket: true,
    replyAddress: false,
    async caller(port) {
      const connection = frameConnection(netConnect(port, '127.0.0.1'));
      return {
        request: async (text) => {
          const seen = connection.replies.length;
          connection.send(text);
          return eventually('a reply', () => connection.replies[seen], REPLY_DEADLINE_MS);
        },
        emit: async (text) => void connection.send(text),
        close: async () => void connection.close(),
      };
    },
  },
  {
    name: 'NATS',
    broker: 4222,
    url: (_port, ns) => `nats://127.0.0.1:4222?namespace=${ns}`,
    routesByPacket: false,
    replyAddress: true,
    async caller(_port, _ns, subject) {
      const nats = await natsConnect({ servers: '127.0.0.1:4222' });
      return {
        request: async (text) => (await nats.request(subject, text, { timeout: REPLY_DEADLINE_MS })).json<Packet>(),
        emit: async (text) => nats.publish(subject, text),
        close: () => nats.close(),
      };
    },
  },
  {
    name: 'Redis',
    broker: 6379,
    url: (_port, ns) => `redis://127.0.0.1:6379?namespace=${ns}`,
    routesByPacket: false,
    replyAddress: false,
    async caller(_port, _ns, channel) {
      const [publisher, subscriber] = [new Redis(6379, '127.0.0.1'), new Redis(6379, '127.0.0.1')];
      const replies: Packet[] = [];
      subscriber.on('message', (_channel: string, text: string) => replies.push(JSON.parse(text) as Packet));
      await subscriber.subscribe(`${channel}.reply`);
      return {
        request: async (text) => {
          const seen = replies.length;
          await publisher.publish(channel, text);
          return eventually('a reply', () => replies[seen], REPLY_DEADLINE_MS);
        },
        emit: async (text) => void (await publisher.publish(channel, text)),
        close: async () => void (await Promise.all([publisher.quit(), subscriber.quit()])),
      };
    },
  },
  {
    name: 'RabbitMQ',
    broker: 5672,
    url: (_port, ns) => `amqp://guest:guest@127.0.0.1:5672?namespace=${ns}`,
    routesByPacket: true,
    replyAddress: true,
    async caller(_port, ns) {
      const queue = `${ns}.consultant-calendar`;
      const connection = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
      const channel = await connection.createChannel();
      const replies = new Map<string, Packet>();
      // RabbitMQ's direct reply-to: the answer comes back on this channel, by correlation id.
      await channel.consume(
        'amq.rabbitmq.reply-to',
        (message) =>
          message &&
          replies.set(message.properties.correlationId as string, JSON.parse(message.content.toString()) as Packet),
        { noAck: true },
      );
      return {
        request: async (text) => {
          const correlationId = randomBytes(8).toString('hex');
          channel.sendToQueue(queue, Buffer.from(text), { replyTo: 'amq.rabbitmq.reply-to', correlationId });
          return eventually('a reply', () => replies.get(correlationId), REPLY_DEADLINE_MS);
        },
        emit: async (text) => void channel.sendToQueue(queue, Buffer.from(text)),
        requestTo: (text, replyTo) =>
          void channel.sendToQueue(queue, Buffer.from(text), { replyTo, correlationId: 'x' }),
        close: () => connection.close(),
      };
    },
  },
];

const reachable = reachablePorts(CASES.flatMap((c) => (c.broker ? [c.broker] : [])));

for (const transport of CASES) {
  const up = transport.broker === undefined || reachable.has(transport.broker);
  if (!up)
    warnSkipping(
      `hostile messages over ${transport.name}`,
      `no broker answers on 127.0.0.1:${transport.broker}; start it (README, "Internal messages")`,
    );

  (up ? describe : describe.skip)(`hostile messages over ${transport.name} are answered with a problem`, () => {
    const namespace = `hostile-${process.pid}-${randomBytes(4).toString('hex')}`;
    const pattern = wirePattern(parseTransportUrl(transport.url(0, namespace))!, 'consultants.list');
    // RabbitMQ answers by correlation id; the others echo the packet's id.
    const echoed = (id: string) => (transport.name === 'RabbitMQ' ? {} : { id });
    const envelope = JSON.stringify({ token: INTERNAL_TOKEN, data: {} });
    let server: ServerProcess;
    let caller: RawCaller;

    beforeAll(async () => {
      const port = await freePort();
      server = await startServer(
        {
          ...AS_NPM_START,
          MICROSERVICE_URL: transport.url(port, namespace),
          INTERNAL_TOKEN,
          // A frame as large as a 1 MB pattern needs.
          MESSAGE_MAX_FRAME_KB: '1024',
        },
        await freePort(),
      );
      caller = await transport.caller(port, namespace, pattern);
    });
    afterAll(async () => {
      await caller?.close();
      expect(await server?.stop()).toBe(0);
    });

    async function stillServing() {
      expect(server.child.exitCode).toBeNull();
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(await caller.request(JSON.stringify({ pattern, id: 'ok', data: JSON.parse(envelope) }))).toMatchObject({
        response: { data: [], next_cursor: null },
      });
    }

    const malformed = { id: null, err: { status: 400, type: '/problems/malformed-message' } };
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    it.each([
      ['an id nested 50,000 deep', `{"pattern":"${pattern}","id":${deep},"data":${envelope}}`],
      ['an object as id', `{"pattern":"${pattern}","id":{"a":1},"data":${envelope}}`],
      ['an id of 200 characters', `{"pattern":"${pattern}","id":"${'i'.repeat(200)}","data":${envelope}}`],
      ['a pattern that is not a string', `{"pattern":{"cmd":"${pattern}"},"id":"p","data":${envelope}}`],
    ])('%s: a malformed-message reply, no handler run', async (_name, text) => {
      expect(await caller.request(text)).toMatchObject(malformed);
      await stillServing();
    });

    it('a request without data: the problem the envelope’s check gives', async () => {
      expect(await caller.request(JSON.stringify({ pattern, id: 'no-data' }))).toMatchObject({
        ...echoed('no-data'),
        err: { status: 400, type: '/problems/malformed-message' },
      });
      await stillServing();
    });

    if (transport.replyAddress)
      it.each([
        ['not JSON', 'hello'],
        ['a request without an id', JSON.stringify({ pattern, data: JSON.parse(envelope) })],
      ])('%s, with a reply address: a malformed-message reply', async (_name, text) => {
        expect(await caller.request(text)).toMatchObject(malformed);
        await stillServing();
      });

    it('a pattern of 1 MB, in a request and in an event: a problem, and short log lines', async () => {
      const big = `p${'x'.repeat(1_000_000)}`;
      // Where the packet's pattern picks the handler it names none; elsewhere the subject or channel does, and the token is missing.
      expect(await caller.request(JSON.stringify({ pattern: big, id: 'big', data: { data: {} } }))).toMatchObject({
        ...echoed('big'),
        err: transport.routesByPacket
          ? { status: 404, type: '/problems/not-found' }
          : { status: 401, type: '/problems/unauthorized' },
      });
      await caller.emit(JSON.stringify({ pattern: big, data: { data: {} } }));
      if (transport.routesByPacket)
        await eventually('the event to be logged', () =>
          /No event handler for pattern px{99}"/.test(server.output()) ? true : undefined,
        );
      await stillServing();
      expect(linesOver(server.output(), 4096)).toEqual([]);
    });

    if (transport.name === 'RabbitMQ')
      it('a reply address the broker refuses (a made-up direct reply-to name) costs the service its connection, not its life', async () => {
        const request = JSON.stringify({ pattern, id: 'bogus', data: JSON.parse(envelope) });
        caller.requestTo!(request, 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxMjM0NTY3OAAAAAAAAAAAAAAAAA==.bogus');
        await eventually('the refused reply to be logged', () =>
          /was not delivered/.test(server.output()) ? true : undefined,
        );
        // The service reconnects to the broker (its queue goes with its connection, and comes back with it).
        await eventually(
          'the service to answer again',
          () => caller.request(JSON.stringify({ pattern, id: 'ok', data: JSON.parse(envelope) })),
          120_000,
        );
        await stillServing();
      });

    if (transport.name === 'TCP')
      it('warns, in one line, that a plain TCP port beyond the machine carries INTERNAL_TOKEN readable', () => {
        expect(server.output().match(/listens beyond this machine in plain TCP/g)).toHaveLength(1);
      });
  });
}
