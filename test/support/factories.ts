/** The admin token of every service the tests start, in process (test-app) or as a process (service). */
export const ADMIN_TOKEN = 'cc_a_test-admin-token-0123456789';

export interface Created {
  id: number;
  token: string;
}

/** What the factories need of a client: in-process inject (Http) and real sockets (Api) both fit. */
export interface Client {
  as(token: string | undefined): {
    post(path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
    put(path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  };
}

let counter = 0;

export async function createConsultant(http: Client, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await http
    .as(ADMIN_TOKEN)
    .post('/consultants', { first_name: 'Con', last_name: `Sultant${++counter}`, ...body });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

export async function createUser(http: Client, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await http.as(undefined).post('/users', { first_name: 'Ur', last_name: `Ser${++counter}`, ...body });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

/**
 * Opens every day 06:00–22:00 (consultant-local) so any half hour in there is bookable, by any
 * number of users: every test client is one address, so the policy's client share is lifted.
 */
export async function openEveryDay(http: Client, consultant: Created): Promise<void> {
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const res = await http.as(consultant.token).put(`/consultants/${consultant.id}/weekly-schedule`, {
    availability: days.map((day) => ({ day, start_time: '06:00', end_time: '22:00' })),
  });
  expect(res).toHaveStatus(200);
  const policy = await http
    .as(consultant.token)
    .put(`/consultants/${consultant.id}/policy`, { max_client_share_minutes: null });
  expect(policy).toHaveStatus(200);
}

/** The n-th distinct bookable half hour (UTC) inside openEveryDay's windows, from 2031 on. */
export function halfHour(n: number): { start: string; end: string } {
  const day = Date.UTC(2031, 0, 1) + Math.floor(n / 32) * 86_400_000;
  const start = day + 6 * 3_600_000 + (n % 32) * 1_800_000;
  return { start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString() };
}

type Headers = Record<string, unknown> | { get(name: string): string | null };

/** Asserts an RFC 9457 problem with the given status (or one of them), of `problemType` when given, and no internals in it. */
export function assertProblem(
  res: { status: number; headers: Headers; body: any; text: string },
  status: number | number[],
  problemType?: string,
): void {
  const statuses = Array.isArray(status) ? status : [status];
  // The status, then the body, which says why when it is not one of those expected.
  expect(`${res.status} ${res.text}`).toMatch(new RegExp(`^(?:${statuses.join('|')}) `));
  const { headers } = res;
  const type =
    typeof headers.get === 'function'
      ? headers.get('content-type')
      : (headers as Record<string, unknown>)['content-type'];
  expect(String(type)).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status: res.status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (problemType !== undefined) expect(res.body.type).toBe(problemType);
  expect(res.text).not.toMatch(/\bat .+\.(js|ts):\d+|QueryFailedError|SELECT |INSERT |node_modules/);
}

/** A one-time slot of the consultant's, on `date` from `start` to `end` (consultant-local). */
export async function createSlot(
  http: Client,
  consultant: Created,
  date: string,
  start: string,
  end: string,
): Promise<{ id: number }> {
  const res = await http
    .as(consultant.token)
    .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: start, end_time: end });
  expect(res).toHaveStatus(201);
  return res.body;
}
