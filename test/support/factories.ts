import { Http } from './http';
import { ADMIN_TOKEN } from './test-app';

export interface Created {
  id: number;
  token: string;
}

let counter = 0;

export async function createConsultant(http: Http, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await http
    .as(ADMIN_TOKEN)
    .post('/consultants', { first_name: 'Con', last_name: `Sultant${++counter}`, ...body });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

export async function createUser(http: Http, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await http.as(undefined).post('/users', { first_name: 'Ur', last_name: `Ser${++counter}`, ...body });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

/** Asserts an RFC 9457 problem response with the given status. */
export function assertProblem(
  res: { status: number; headers: Record<string, unknown>; body: any; text: string },
  status: number,
): void {
  expect(res).toHaveStatus(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(res.text).not.toMatch(/\bat .+\.(js|ts):\d+|QueryFailedError|SELECT |INSERT |node_modules/);
}
