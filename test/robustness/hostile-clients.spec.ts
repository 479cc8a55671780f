/**
 * Issue 22's findings, each reproduced against the built service in its own process, started
 * as `npm start` starts it (the same 160 MB heap cap): what a hostile caller of the message port,
 * client or webhook receiver could do before, and what the service does now.
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import * as timeFieldsModule from '../../src/common/http/time-fields';
import { assertProblem, createConsultant } from '../support/factories';
import { Http } from '../support/http';
import { startTestApp, type TestApp } from '../support/test-app';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

// Counts the slots the in-process app formats (finding 5); the servers in processes are untouched.
jest.mock('../../src/common/http/time-fields', () => {
  const actual = jest.requireActual<typeof timeFieldsModule>('../../src/common/http/time-fields');
  return { ...actual, timeFields: jest.fn(actual.timeFields) };
});
import { eventually } from '../support/eventually';
import { freePort } from '../support/postgres-server';
import { runToFailure, type ServerProcess, startServer } from '../support/server-process';

/** `npm start`'s heap cap, through the environment so the shared process starter needs no change. */
const AS_NPM_START = { NODE_OPTIONS: '--max-old-space-size=160', DATABASE_URL: '', DATA_DIR: 'memory://' };
const INTERNAL_TOKEN = 'cc_i_hostile-clients-test-token-0123456789';

/** One raw connection to the message port, speaking Nest's `length#json` framing. */
class RawConnection {
  readonly socket: Socket;
  closed = false;
  private text = '';
  readonly replies: Array<Record<string, unknown>> = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    // The server destroys a connection past a limit; writes in flight then fail, as they should.
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('data', (chunk: string) => {
      this.text += chunk;
      for (let hash = this.text.indexOf('#'); hash > 0; hash = this.text.indexOf('#')) {
        const length = Number(this.text.slice(0, hash));
        if (this.text.length < hash + 1 + length) break;
        this.replies.push(JSON.parse(this.text.slice(hash + 1, hash + 1 + length)));
        this.text = this.text.slice(hash + 1 + length);
      }
    });
  }

  /** Settles once the connection is open, or already closed. */
  opened(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket.connecting) return resolve();
      this.socket.once('connect', resolve).once('close', () => resolve());
    });
  }

  write(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  /** Sends one whole frame; `json` is sent as it is, so it may be what JSON.stringify cannot make. */
  frame(json: string): void {
    this.write(`${json.length}#${json}`);
  }

  request(pattern: string, data: unknown, token = INTERNAL_TOKEN, id = String(this.replies.length + Math.random())) {
    this.frame(JSON.stringify({ pattern, id, data: { token, data } }));
    return eventually(`a reply to ${pattern}`, () => {
      const reply = this.replies.find((r) => r.id === id);
      if (!reply && this.closed) throw new Error(`the connection closed before the reply to ${pattern}`);
      return reply;
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Ends the connection and settles once the server has closed its side too, so it no longer counts there. */
  async closedByServer(): Promise<void> {
    this.socket.end();
    await eventually('the server to close its side', () => (this.closed ? true : undefined), 60_000);
  }
}

const closedBy = (what: string, connections: RawConnection[]) =>
  eventually(what, () => (connections.every((c) => c.closed) ? true : undefined), 60_000);
const linesOver = (output: string, chars: number) => output.split('\n').filter((line) => line.length > chars);
/** The server's log line can reach the captured output after the close the client saw: wait for it. */
const logged = (server: ServerProcess, line: RegExp) =>
  eventually(`the server to log ${line}`, () => (line.test(server.output()) ? true : undefined));

describe('finding 1: the message port has limits, and the process survives whatever a caller sends', () => {
  let server: ServerProcess;
  let port: number;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = await startServer(
      {
        ...AS_NPM_START,
        MICROSERVICE_URL: `tcp://127.0.0.1:${port}`,
        INTERNAL_TOKEN,
        MESSAGE_MAX_CONNECTIONS: '40',
        MESSAGE_BUFFER_BUDGET_MB: '1',
        MESSAGE_FRAME_TIMEOUT_MS: '1000',
        MESSAGE_TOKEN_FAILURES_PER_MINUTE: '5',
      },
      await freePort(),
    );
  });
  // Each test starts with none of the earlier ones' connections or unfinished frames held at the server.
  afterEach(() => Promise.all(open.splice(0).map((c) => c.closedByServer())));
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  async function stillServing() {
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const caller = new RawConnection(port);
    open.push(caller);
    expect(await caller.request('consultants.list', {})).toMatchObject({ response: { data: [] } });
  }

  it('drops connections past MESSAGE_MAX_CONNECTIONS, and counts them in the log', async () => {
    const held = Array.from({ length: 40 }, () => new RawConnection(port));
    open.push(...held);
    await Promise.all(held.map((c) => c.opened()));
    const extra = Array.from({ length: 5 }, () => new RawConnection(port));
    open.push(...extra);
    await closedBy('the connections past the limit to be dropped', extra);
    expect(held.filter((c) => c.closed)).toEqual([]);
    await logged(server, /more than 40 connections \(5 so far for this reason\)/);
    held.forEach((c) => c.close());
    // One attempt may wait its own whole deadline on a connection that raced the server's count of
    // the closed ones (seen once in CI on PostgreSQL): the wait for a working one is longer.
    await eventually(
      'a connection to be accepted again',
      async () => {
        const next = new RawConnection(port);
        open.push(next);
        return (await next.request('consultants.list', {}).catch(() => undefined)) ? true : undefined;
      },
      120_000,
    );
  });

  it('closes 150 connections that each send 1 MB of an unfinished frame, at the frame limit, and stays up', async () => {
    const flood = Array.from({ length: 150 }, () => new RawConnection(port));
    open.push(...flood);
    // Just under the 1 MiB that Nest's buffer used to be allowed to reach: never refused there.
    const megabyte = 'a'.repeat(1_000_000);
    for (const c of flood) c.write(`1048000#{"pattern":"x","pad":"${megabyte}`);
    await closedBy('every flooding connection to be closed', flood);
    await stillServing();
    await logged(server, /Closed a message connection from \S+: a frame over 131072 bytes/);
  });

  it('closes connections whose unfinished frames together pass MESSAGE_BUFFER_BUDGET_MB', async () => {
    const hoarders = Array.from({ length: 20 }, () => new RawConnection(port));
    open.push(...hoarders);
    await Promise.all(hoarders.map((c) => c.opened()));
    // 100 KB each, under the per-connection limit: 2 MB together, over the 1 MB budget.
    for (const c of hoarders) c.write(`200000#{"pattern":"x","pad":"${'b'.repeat(100 * 1024)}`);
    await logged(server, /unfinished frames over 1048576 bytes in all/);
    await stillServing();
  });

  it('closes a connection that trickles an unfinished frame past MESSAGE_FRAME_TIMEOUT_MS', async () => {
    const trickler = new RawConnection(port);
    open.push(trickler);
    trickler.write('100000#{"pattern":"x","pad":"');
    // A byte at a time, more often than the idle timer (which each byte restarts) would fire.
    const drip = setInterval(() => trickler.write('c'), 100);
    try {
      await closedBy('the trickling connection to be closed', [trickler]);
    } finally {
      clearInterval(drip);
    }
    await logged(server, /a frame unfinished after 1000 ms/);
  });

  it('answers a message whose id is nested 50,000 deep, without running its handler', async () => {
    const caller = new RawConnection(port);
    open.push(caller);
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    caller.frame(`{"pattern":"consultants.list","id":${deep},"data":{"token":"${INTERNAL_TOKEN}","data":{}}}`);
    const reply = await eventually('the reply', () => caller.replies[0]);
    expect(reply).toMatchObject({ id: null, err: { status: 400, type: '/problems/malformed-message' } });
    await stillServing();
  });

  it('logs an unknown event pattern of 100 KB in one short line', async () => {
    const caller = new RawConnection(port);
    open.push(caller);
    caller.frame(JSON.stringify({ pattern: `p${'x'.repeat(100 * 1024)}`, data: {} }));
    await logged(server, /No event handler for pattern px{99}"/);
    expect(linesOver(server.output(), 4096)).toEqual([]);
  });

  // Last: it spends this address's budget of wrong tokens for a minute.
  it('closes the connections of an address past MESSAGE_TOKEN_FAILURES_PER_MINUTE wrong service tokens', async () => {
    const guesser = new RawConnection(port);
    open.push(guesser);
    for (let i = 1; i < 5; i++)
      expect(await guesser.request('consultants.list', {}, `cc_i_guess-${i}-${'x'.repeat(40)}`)).toMatchObject({
        err: { status: 401 },
      });
    guesser.request('consultants.list', {}, `cc_i_guess-5-${'x'.repeat(40)}`).catch(() => undefined);
    await closedBy('the guessing connection to be closed', [guesser]);
    // For the rest of the minute, the address's new connections are closed as they open.
    const again = new RawConnection(port);
    open.push(again);
    await closedBy('a new connection from the address to be closed', [again]);
    expect(again.replies).toEqual([]);
    // The warning reaches the captured output after the close the client saw.
    await logged(server, /wrong service tokens from this address \(2 so far for this reason\)/);
  });
});

describe('finding 3: the admin token is no oracle', () => {
  const ADMIN_TOKEN = 'cc_a_hostile-clients-admin-0123456789';
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ ...AS_NPM_START, ADMIN_TOKEN, FAILED_AUTH_PER_IP_PER_MINUTE: '5' }, await freePort());
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const me = (token: string) => fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } });

  it('answers the right admin token like any guess once the address has spent its failure budget', async () => {
    expect((await me(ADMIN_TOKEN)).status).toBe(200);
    const guesses = [];
    for (let i = 0; i < 8; i++) guesses.push((await me(`cc_a_guess-${i}-0123456789`)).status);
    expect(guesses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const right = await me(ADMIN_TOKEN);
    expect(right.status).toBe(429);
    expect(await right.json()).toMatchObject({ type: '/problems/auth-failures' });
  });

  it.each([
    ['ADMIN_TOKEN', 'aaaaaaaaaaaaaaaa', /ADMIN_TOKEN has too little variety/],
    ['ADMIN_TOKEN', 'abababababababababab', /ADMIN_TOKEN has too little variety/],
    ['ADMIN_TOKEN', 'cc_u_looks-like-a-user-token-0123', /ADMIN_TOKEN must not begin with cc_u_/],
    ['ADMIN_TOKEN', 'cc_c_looks-like-a-consultant-token', /ADMIN_TOKEN must not begin with cc_c_/],
    ['ADMIN_TOKEN', 'short-token', /ADMIN_TOKEN must be at least 16 characters/],
    ['INTERNAL_TOKEN', 'x'.repeat(40), /INTERNAL_TOKEN has too little variety/],
    ['INTERNAL_TOKEN', 'cc_a_an-admin-looking-internal-token-0123', /INTERNAL_TOKEN must not begin with cc_a_/],
  ])(
    'refuses to start with %s=%s, in one line that says why',
    async (name, value, why) => {
      const { code, stderr } = await runToFailure({ ...AS_NPM_START, [name]: value });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(why)]);
    },
    60_000,
  );
});

describe('finding 5: a view too large to answer is refused before its slots are formatted', () => {
  const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  /** Free all day: 287 five-minute slots a day. */
  const aroundTheClock = { availability: DAYS.map((day) => ({ day, start_time: '00:00', end_time: '23:55' })) };
  const view = (consultantId: number, end: string) =>
    `/availabilities/timerange/?consultant_id=${consultantId}&start=2031-03-01&end=${end}&slot_minutes=5`;

  describe('in process, counting the slots formatted', () => {
    let t: TestApp;
    let http: Http;
    let consultantId: number;

    beforeAll(async () => {
      t = await startTestApp();
      http = new Http(t.app);
      const consultant = await createConsultant(http, { timezone: 'UTC' });
      consultantId = consultant.id;
      expect(
        await http.as(consultant.token).put(`/consultants/${consultant.id}/weekly-schedule`, aroundTheClock),
      ).toHaveStatus(200);
    });
    afterAll(() => t?.close());

    it('formats no slot when refusing 92 days of 5-minute slots, and every slot of the largest view it serves', async () => {
      const formatted = jest.mocked(timeFieldsModule.timeFields);
      formatted.mockClear();
      const refused = await http.get(view(consultantId, '2031-05-31'));
      assertProblem(refused, 400);
      expect(refused.body).toMatchObject({ type: '/problems/response-too-large', max_slots: 5000 });
      expect(formatted).not.toHaveBeenCalled();
      // 17 days of 287 slots: 4,879, the largest whole-day view under the 5,000 ceiling.
      const served = await http.get(view(consultantId, '2031-03-17'));
      expect(served).toHaveStatus(200);
      expect(served.body.data[0].slots).toHaveLength(17 * 287);
      expect(formatted).toHaveBeenCalledTimes(17 * 287);
    });
  });

  it('as npm start runs it, answers fifty refusals at once and stays up', async () => {
    const server = await startServer(
      { ...AS_NPM_START, ADMIN_TOKEN: 'cc_a_hostile-views-admin-0123456789' },
      await freePort(),
    );
    try {
      const admin = { authorization: 'Bearer cc_a_hostile-views-admin-0123456789', 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/consultants`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ first_name: 'All', last_name: 'Day', timezone: 'UTC' }),
      }).then((res) => res.json() as Promise<{ id: number }>);
      const put = await fetch(`${server.url}/consultants/${created.id}/weekly-schedule`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(aroundTheClock),
      });
      expect(put.status).toBe(200);
      const refusal = async () => {
        const res = await fetch(`${server.url}${view(created.id, '2031-05-31')}`);
        return {
          status: res.status,
          type: ((await res.json()) as { type: string }).type,
          retry: res.headers.has('retry-after'),
        };
      };
      const answers = await Promise.all(Array.from({ length: 50 }, refusal));
      // Each is the refusal, or, where the embedded database's one connection stayed busy past its
      // wait on a loaded machine, the overload answer a client is told to retry: never a crash or a 500.
      const tooLarge = { status: 400, type: '/problems/response-too-large', retry: false };
      const shed = { status: 503, type: '/problems/database-unavailable', retry: true };
      expect(answers.filter((a) => !isDeepStrictEqual(a, tooLarge) && !isDeepStrictEqual(a, shed))).toEqual([]);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(await refusal()).toEqual(tooLarge);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('finding 4: a slow webhook receiver holds up only its own deliveries', () => {
  let t: TestApp;
  let http: Http;
  let receiver: Receiver;
  /** A receiver that reads each request and never answers. */
  const stalled = createServer((req) => stalledRequests.push(req.url ?? ''));
  const stalledRequests: string[] = [];
  let day = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    t = await startTestApp({
      env: { EVENTS_RELAY: 'true', OUTBOX_POLL_MS: '20', WEBHOOK_POLL_MS: '20', WEBHOOK_TIMEOUT_MS: '60000' },
    });
    http = new Http(t.app);
  });
  afterAll(async () => {
    stalled.closeAllConnections();
    stalled.close();
    await receiver?.close();
    await t?.close();
  });

  async function subscribed(url: string) {
    const consultant = await createConsultant(http);
    const res = await http.as(consultant.token).post('/webhooks', { url, event_types: ['availability.changed'] });
    expect(res).toHaveStatus(201);
    return consultant;
  }
  async function change(consultant: { id: number; token: string }) {
    const date = `2031-06-${String(++day).padStart(2, '0')}`;
    const res = await http
      .as(consultant.token)
      .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '10:00', end_time: '11:00' });
    expect(res).toHaveStatus(201);
  }

  it("delivers other consultants' events, in order, while one receiver has not answered", async () => {
    const slow = await subscribed(`http://127.0.0.1:${(stalled.address() as AddressInfo).port}/stalled`);
    const prompt = await subscribed(`${receiver.base}/prompt`);
    await change(slow);
    await eventually('the stalled receiver to get its request', () => stalledRequests[0]);
    for (let i = 0; i < 3; i++) await change(prompt);
    const sequences = await eventually('the prompt receiver to get its three events', () => {
      const got = receiver.on('/prompt');
      return got.length >= 3 ? got.map((hit) => (JSON.parse(hit.body) as { sequence: number }).sequence) : undefined;
    });
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(stalledRequests).toEqual(['/stalled']);
  });
});

describe('finding 6: private targets in every form, feed names', () => {
  let t: TestApp;
  let http: Http;
  let consultant: { id: number; token: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' } });
    http = new Http(t.app);
    consultant = await createConsultant(http);
  });
  afterAll(() => t?.close());

  it('escapes the feed name as RFC 5545 TEXT: a comma, a semicolon and a backslash stay the name', async () => {
    const named = await createConsultant(http, { first_name: 'A,b;c\\d', last_name: 'Ed' });
    const res = await http.as(named.token).get(`/consultants/${named.id}/calendar.ics`);
    expect(res).toHaveStatus(200);
    expect(res.text).toContain('NAME:Bookings of A\\,b\\;c\\\\d Ed\r\n');
    expect(res.text).toContain('X-WR-CALNAME:Bookings of A\\,b\\;c\\\\d Ed\r\n');
  });

  it.each([
    'http://[::127.0.0.1]/hook', // IPv4-compatible ::/96
    'http://[::10.0.0.1]/hook',
    'http://[::ffff:127.0.0.1]/hook', // IPv4-mapped
    'http://[2002:7f00:1::]/hook', // 6to4 of 127.0.0.1
    'http://[64:ff9b::a00:1]/hook', // NAT64 of 10.0.0.1
    'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook', // Teredo
    'http://[fe80::1]/hook',
    'http://[fd00::1]/hook',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s', async (url) => {
    const res = await http.as(consultant.token).post('/webhooks', { url, event_types: ['availability.changed'] });
    assertProblem(res, 400);
  });
});
