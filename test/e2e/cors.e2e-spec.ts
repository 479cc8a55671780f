import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

const APP = 'https://app.example.com';
const OTHER = 'https://elsewhere.example.com';

/** The CORS headers of an answer (Vary is caching, not CORS). */
const corsHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));

const preflight = (http: Http, origin: string, method: string, requestHeaders = 'authorization,content-type') =>
  http.options('/bookings', {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': requestHeaders,
  });

describe('CORS: which browser pages may call the API (CORS_ORIGINS)', () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>) => {
    const t = await startTestApp({ env });
    apps.push(t);
    return new Http(t.app);
  };
  afterAll(() => Promise.all(apps.map((t) => t.close())));

  it('by default, none: no page on another origin gets a CORS header', async () => {
    const http = await start({});
    expect(corsHeaders((await preflight(http, APP, 'POST')).headers)).toEqual({});
    expect(corsHeaders((await http.get('/consultants', { origin: APP })).headers)).toEqual({});
  });

  it('a listed origin has its preflight answered and may call with a token; another gets no CORS header', async () => {
    const http = await start({ CORS_ORIGINS: `${APP}, http://localhost:5173` });
    const allowed = await preflight(http, APP, 'POST');
    expect(allowed).toHaveStatus(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    expect(String(allowed.headers['access-control-allow-methods'])).toMatch(/POST/);
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    const read = await http.as(ADMIN_TOKEN).get('/bookings', { origin: APP });
    expect(read).toHaveStatus(200);
    expect(read.headers['access-control-allow-origin']).toBe(APP);
    // The page may read the request id and the rate-limit headers.
    expect(String(read.headers['access-control-expose-headers'])).toMatch(/X-Request-Id.*X-RateLimit-Remaining/);

    // An OPTIONS that names no method is still answered as a preflight, never the plugin's text/plain 400.
    const bare = await http.options('/bookings', { origin: APP });
    expect(bare).toHaveStatus(204);
    expect(bare.headers['access-control-allow-origin']).toBe(APP);

    const refused = await preflight(http, OTHER, 'POST');
    expect(corsHeaders(refused.headers)).toEqual({});
    expect(refused.status).not.toBe(204);
    const refusedRead = await http.get('/consultants', { origin: OTHER });
    expect(refusedRead).toHaveStatus(200);
    expect(corsHeaders(refusedRead.headers)).toEqual({});
  });

  it('* lets any page read the public routes, without a token, and nothing else', async () => {
    const http = await start({ CORS_ORIGINS: '*' });
    const read = await http.options('/consultants', { origin: OTHER, 'access-control-request-method': 'GET' });
    expect(read).toHaveStatus(204);
    expect(read.headers['access-control-allow-origin']).toBe('*');
    expect(String(read.headers['access-control-allow-headers'])).not.toMatch(/Authorization/i);
    expect((await http.get('/consultants', { origin: OTHER })).headers['access-control-allow-origin']).toBe('*');
    // A write is not offered to any page.
    expect(corsHeaders((await preflight(http, OTHER, 'POST')).headers)).toEqual({});
  });
});
