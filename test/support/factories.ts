import assert from 'node:assert/strict';
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
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, token: res.body.api_token };
}

export async function createUser(http: Http, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await http.as(undefined).post('/users', { first_name: 'Ur', last_name: `Ser${++counter}`, ...body });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, token: res.body.api_token };
}

/** Asserts an RFC 9457 problem response with the given status. */
export function assertProblem(
  res: { status: number; headers: Record<string, unknown>; body: any; text: string },
  status: number,
): void {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.type, 'string');
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  assert.doesNotMatch(res.text, /\bat .+\.js:\d+|QueryFailedError|SELECT |INSERT |node_modules/);
}
