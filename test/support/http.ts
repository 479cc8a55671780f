import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
  text: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** A small HTTP client over Fastify's in-process inject: the full pipeline, no sockets. */
export class Http {
  /** `app` may be a function that gives it, for a client made before the app starts (useTestApp). */
  constructor(
    private readonly app: NestFastifyApplication | (() => NestFastifyApplication),
    private readonly token?: string,
    private readonly remoteAddress?: string,
  ) {}

  as(token: string | undefined): Http {
    return new Http(this.app, token, this.remoteAddress);
  }

  /** Requests from this socket address (inject's default is 127.0.0.1), for the per-address limits. */
  from(remoteAddress: string): Http {
    return new Http(this.app, this.token, remoteAddress);
  }

  async request<T = any>(
    method: Method,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const app = typeof this.app === 'function' ? this.app() : this.app;
    const res = await app.inject({
      method,
      url,
      remoteAddress: this.remoteAddress,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const type = String(res.headers['content-type'] ?? '');
    return {
      status: res.statusCode,
      headers: res.headers,
      body: type.includes('json') && res.body ? JSON.parse(res.body) : res.body,
      text: res.body,
    } as Reply<T>;
  }

  get<T = any>(url: string, headers?: Record<string, string>) {
    return this.request<T>('GET', url, undefined, headers);
  }
  post<T = any>(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', url, body, headers);
  }
  put<T = any>(url: string, body?: unknown) {
    return this.request<T>('PUT', url, body);
  }
  patch<T = any>(url: string, body?: unknown) {
    return this.request<T>('PATCH', url, body);
  }
  delete<T = any>(url: string, body?: unknown) {
    return this.request<T>('DELETE', url, body);
  }
  /** A browser's CORS preflight. */
  options<T = any>(url: string, headers: Record<string, string>) {
    return this.request<T>('OPTIONS', url, undefined, headers);
  }
}
