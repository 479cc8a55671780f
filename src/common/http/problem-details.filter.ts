import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, throwError } from 'rxjs';
import { Problem, TooManyRequests, toProblem } from '../errors';

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): void {
  if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
  void reply
    .status(problem.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send({ ...problem, instance: request.url.split('?')[0] });
}

/**
 * The one place where any error becomes the client's problem+json answer: over HTTP, the
 * response; for an internal message, the error the transport carries back (what an
 * RpcException's payload would be), so both faces refuse with the same problem.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const problem = toProblem(exception);
    if (host.getType() === 'rpc') {
      this.log(problem, exception, `message ${messagePattern(host)}`);
      return throwError(() => new RpcException(problem).getError());
    }
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    this.log(problem, exception, `${request.method} ${request.url}`, request.id);
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof TooManyRequests) void reply.header('retry-after', String(exception.retryAfterSeconds));
    sendProblem(reply, request, problem);
  }

  /** A bug is an error with its stack; an outage is a warning: the database, not the code, is at fault. */
  private log(problem: Problem, exception: unknown, what: string, reqId?: string): void {
    if (problem.status === 503)
      this.logger.warn({ reqId, cause: (exception as Error)?.message }, `${what}: database unavailable`);
    else if (problem.status >= 500) this.logger.error({ err: exception, reqId }, `${what} failed`);
  }
}

/** The pattern a failed message was sent to, as its transport's context names it. */
function messagePattern(host: ArgumentsHost): string {
  const context = host
    .switchToRpc()
    .getContext<{ getPattern?: () => string; getSubject?: () => string; getChannel?: () => string } | undefined>();
  return context?.getPattern?.() ?? context?.getSubject?.() ?? context?.getChannel?.() ?? '';
}
