import { lastValueFrom } from 'rxjs';
import { ArgumentsHost, Logger } from '@nestjs/common';
import { notFound, problemOf } from '../errors';
import { ProblemDetailsFilter } from './problem-details.filter';

// The translator's own spec pins these words; here they are what the filter must send.
const INTERNAL = problemOf('internal-error');
const UNAVAILABLE = problemOf('database-unavailable');

describe('ProblemDetailsFilter', () => {
  /** A request and a reply that records what the filter sends. */
  function exchange(headers: Record<string, string> = {}) {
    const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: { ...headers } };
    const reply = {
      hasHeader: (name: string) => name in sent.headers,
      header(name: string, value: string) {
        sent.headers[name] = value;
        return reply;
      },
      status(code: number) {
        sent.status = code;
        return reply;
      },
      send(body: unknown) {
        sent.body = body;
        return reply;
      },
    };
    const request = { id: 'req-1', method: 'POST', url: '/consultants/7/bookings?token=abc' };
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
    } as unknown as ArgumentsHost;
    return { host, sent };
  }

  let error: jest.SpyInstance;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('sends problem+json with the path, without its query, as the instance; a 4xx is not logged', () => {
    const { host, sent } = exchange();
    new ProblemDetailsFilter().catch(notFound('Consultant 7'), host);
    expect(sent).toStrictEqual({
      status: 404,
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
      body: {
        ...problemOf('not-found', 'Consultant 7 was not found'),
        instance: '/consultants/7/bookings',
      },
    });
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('logs a bug as an error with the exception, and answers a bare 500', () => {
    const { host, sent } = exchange();
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    new ProblemDetailsFilter().catch(bug, host);
    expect(sent.status).toBe(500);
    expect(sent.body).toStrictEqual({ ...INTERNAL, instance: '/consultants/7/bookings' });
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith({ err: bug, reqId: 'req-1' }, expect.stringContaining('POST /consultants/7'));
    expect(warn).not.toHaveBeenCalled();
  });

  it('answers an outage with a 503 and Retry-After, logged as a warning, keeping a Retry-After already set', () => {
    const outage = new Error('Connection terminated unexpectedly');
    const first = exchange();
    new ProblemDetailsFilter().catch(outage, first.host);
    expect(first.sent).toStrictEqual({
      status: 503,
      headers: { 'retry-after': '5', 'content-type': 'application/problem+json; charset=utf-8' },
      body: { ...UNAVAILABLE, instance: '/consultants/7/bookings' },
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      { reqId: 'req-1', cause: 'Connection terminated unexpectedly' },
      expect.stringContaining('database unavailable'),
    );
    expect(error).not.toHaveBeenCalled();

    const second = exchange({ 'retry-after': '30' });
    new ProblemDetailsFilter().catch(outage, second.host);
    expect(second.sent.headers['retry-after']).toBe('30');
  });

  it('answers a message with the same problem as an RpcException error, logging only a bug', async () => {
    const host = {
      getType: () => 'rpc',
      switchToRpc: () => ({ getContext: () => ({ getPattern: () => 'bookings.get' }) }),
    } as unknown as ArgumentsHost;
    const refusal = new ProblemDetailsFilter().catch(notFound('Booking 3'), host);
    await expect(lastValueFrom(refusal!)).rejects.toStrictEqual(problemOf('not-found', 'Booking 3 was not found'));
    expect(error).not.toHaveBeenCalled();
    const bug = new TypeError('boom');
    await expect(lastValueFrom(new ProblemDetailsFilter().catch(bug, host)!)).rejects.toStrictEqual(INTERNAL);
    expect(error).toHaveBeenCalledWith({ err: bug, reqId: undefined }, 'message bookings.get failed');
  });
});
