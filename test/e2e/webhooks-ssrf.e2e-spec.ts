import { WebhookResolver } from '../../src/webhooks/webhook-target';
import { assertProblem, createConsultant, type Created } from '../support/factories';
import { eventually } from '../support/eventually';
import { Http } from '../support/http';
import { startTestApp, type TestApp } from '../support/test-app';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/** A public address (documentation range excluded: that is "reserved", and refused). */
const PUBLIC = '93.184.215.14';

/** One address of each forbidden class. */
const FORBIDDEN: [string, string][] = [
  ['loopback', '127.0.0.1'],
  ['loopback (IPv6)', '::1'],
  ['IPv4 loopback written as IPv6', '::ffff:127.0.0.1'],
  ['private 10/8', '10.1.2.3'],
  ['private 172.16/12', '172.16.5.4'],
  ['private 192.168/16', '192.168.0.10'],
  ['unique local (IPv6)', 'fd12:3456::1'],
  ['link-local', '169.254.10.20'],
  ['cloud metadata', '169.254.169.254'],
  ['cloud metadata (IPv6)', 'fd00:ec2::254'],
  ['link-local (IPv6)', 'fe80::1'],
  ['unspecified', '0.0.0.0'],
  ['carrier-grade NAT (a metadata service among them)', '100.100.100.200'],
];

const literal = (address: string) => (address.includes(':') ? `[${address}]` : address);

/**
 * SSRF: a webhook may not target loopback, private, link-local or metadata addresses (with
 * WEBHOOK_ALLOW_PRIVATE_TARGETS off): refused when the subscription is made, and again at each
 * delivery, where the name is resolved anew (it may point elsewhere by then).
 */
describe('webhooks: forbidden targets', () => {
  let t: TestApp;
  let http: Http;
  let consultant: Created;
  let receiver: Receiver;
  /** Names the fake DNS answers: the first lookup (creation) public, every later one the forbidden address. */
  const rebinding = new Map<string, { address: string; lookups: number }>();

  beforeAll(async () => {
    receiver = await startReceiver();
    const resolver: Pick<WebhookResolver, 'resolve'> = {
      async resolve(hostname) {
        const name = rebinding.get(hostname);
        if (!name) return new WebhookResolver().resolve(hostname);
        const address = name.lookups++ === 0 ? PUBLIC : name.address;
        return [{ address, family: address.includes(':') ? 6 : 4 }];
      },
    };
    t = await startTestApp({
      env: {
        EVENTS_RELAY: 'true',
        OUTBOX_POLL_MS: '20',
        WEBHOOK_POLL_MS: '20',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
        // One consultant subscribes once per forbidden class.
        WEBHOOKS_PER_OWNER: String(FORBIDDEN.length),
      },
      override: (builder) => builder.overrideProvider(WebhookResolver).useValue(resolver),
    });
    http = new Http(t.app);
    consultant = await createConsultant(http);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const subscribe = (url: string) =>
    http.as(consultant.token).post('/webhooks', { url, event_types: ['availability.changed'] });

  it.each(FORBIDDEN)('refuses %s (%s) at creation, as an address and as a name', async (_class, address) => {
    const direct = await subscribe(`http://${literal(address)}:8080/hook`);
    assertProblem(direct, 400);
    expect(direct.body.errors).toEqual([
      { field: 'url', message: 'is refused: its host is a private or reserved address' },
    ]);
    const name = `points-at-${address.replace(/[^\da-f]/g, '-')}.test`;
    rebinding.set(name, { address, lookups: 1 });
    const named = await subscribe(`https://${name}/hook`);
    assertProblem(named, 400);
    expect(named.body.errors).toEqual([
      { field: 'url', message: 'is refused: its host resolves to a private or reserved address' },
    ]);
  });

  it('refuses what is not http or https, and a URL with credentials', async () => {
    for (const url of [
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'gopher://example.com/',
      'https://u:p@example.com/',
    ])
      assertProblem(await subscribe(url), 400);
  });

  it('refuses each forbidden class again at delivery: a name that resolved to a public address at creation', async () => {
    const port = new URL(receiver.base).port;
    const webhooks: number[] = [];
    for (const [, address] of FORBIDDEN) {
      const name = `rebinds-to-${address.replace(/[^\da-f]/g, '-')}.test`;
      rebinding.set(name, { address, lookups: 0 });
      const res = await subscribe(`http://${name}:${port}/rebound`);
      expect(res).toHaveStatus(201);
      webhooks.push(res.body.id);
    }
    const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
      date: '2031-08-01',
      start_time: '10:00',
      end_time: '11:00',
    });
    expect(slot).toHaveStatus(201);
    for (const [i, id] of webhooks.entries()) {
      const attempt = await eventually(`an attempt for ${FORBIDDEN[i][0]}`, async () => {
        const [delivery] = (await http.as(consultant.token).get(`/webhooks/${id}/deliveries`)).body.data;
        return delivery?.attempts.length ? delivery.attempts[0] : undefined;
      });
      // One word: the address the name resolved to is the service's to log, not the caller's to see.
      expect(attempt).toMatchObject({ response_status: null, error: 'refused-target' });
    }
    // The loopback ones would have reached this receiver: none did.
    expect(receiver.on('/rebound')).toHaveLength(0);
  });
});
