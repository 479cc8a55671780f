import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import type { ConnectionOptions } from 'node:tls';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import type { Envelope, Principal } from './envelope';
import type {
  BookingDto,
  BookingPageDto,
  ConsultantDto,
  ConsultantPageDto,
  ConsultantRangeDto,
  CreateBookingDto,
  CreateHoldDto,
  FreeTimeQuery,
  HoldDto,
  ListBookingsQuery,
  ListConsultantsQuery,
  PolicyDto,
  PooledViewDto,
  PooledViewQuery,
  RescheduleDto,
  UpdatePolicyDto,
} from './schemas';
import { transportOptions } from './transport-options';
import { parseTransportUrl, type TransportTarget, wirePattern } from './transport-url';
import { CalendarClientError, CalendarTransportError, isProblem } from './calendar-client.errors';

export interface CalendarClientOptions {
  /** The service's MICROSERVICE_URL, namespace included: `tcp://…`, `tls://…`, `nats://…`, `redis://…` or `amqp://…`. */
  url: string;
  /** For a `tls://` URL: `ca` when the port's certificate is not signed by a CA the system trusts, `cert` and `key` when it asks for a client certificate. */
  tls?: ConnectionOptions;
  /** The service's INTERNAL_TOKEN. */
  token: string;
  /** How long a call waits for its answer before failing with a CalendarTransportError. */
  timeoutMs?: number;
}

export const CALENDAR_CLIENT_OPTIONS = Symbol('CALENDAR_CLIENT_OPTIONS');
const DEFAULT_TIMEOUT_MS = 5_000;

/** Who a call acts for: the admin, or a consultant or user by id. */
export type CalendarPrincipal = Principal;

/**
 * The consultant calendar's internal messages (docs/MESSAGES.md), one typed method per
 * pattern. A refusal rejects with a CalendarClientError carrying the service's problem; no
 * answer in time rejects with a CalendarTransportError.
 */
@Injectable()
export class CalendarClient implements OnApplicationShutdown {
  private readonly target: TransportTarget;
  private readonly proxy: ClientProxy;
  private readonly timeoutMs: number;

  constructor(@Inject(CALENDAR_CLIENT_OPTIONS) private readonly options: CalendarClientOptions) {
    const target = parseTransportUrl(options.url);
    if (!target) throw new Error('CalendarClient needs the service’s transport URL, not "off"');
    this.target = target;
    this.proxy = ClientProxyFactory.create(transportOptions(target, options.tls));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `consultants.get`: one consultant. */
  getConsultant(id: number): Promise<ConsultantDto> {
    return this.call('consultants.get', undefined, { id });
  }

  /** `consultants.list`: a page of consultants, optionally of one specialization. */
  listConsultants(query: ListConsultantsQuery = {}): Promise<ConsultantPageDto> {
    return this.call('consultants.list', undefined, query);
  }

  /** `consultants.policy.get`: one consultant's booking policy, each field at its default until set. */
  getPolicy(id: number): Promise<PolicyDto> {
    return this.call('consultants.policy.get', undefined, { id });
  }

  /** `consultants.policy.update`: replaces the whole policy (a field left out takes its default); a consultant only its own. */
  updatePolicy(principal: CalendarPrincipal, id: number, policy: UpdatePolicyDto): Promise<PolicyDto> {
    return this.call('consultants.policy.update', principal, { ...policy, id });
  }

  /** `availability.free`: one consultant's free time between start and end, cut into slot_minutes. */
  freeTime(query: FreeTimeQuery): Promise<ConsultantRangeDto> {
    return this.call('availability.free', undefined, query);
  }

  /** `availability.pooled`: when at least one consultant of a specialization is free, slot by slot with how many are. */
  pooledFreeTime(query: PooledViewQuery): Promise<PooledViewDto> {
    return this.call('availability.pooled', undefined, query);
  }

  /** `bookings.create`: books for the principal (a user, or the admin for `user_id`); a retry with the same key replays the first answer. With `specialization` instead of a consultant, the pool assigns one (the answer's consultant_id). */
  createBooking(principal: CalendarPrincipal, booking: CreateBookingDto, idempotencyKey: string): Promise<BookingDto> {
    return this.call('bookings.create', principal, { ...booking, idempotency_key: idempotencyKey });
  }

  /** `bookings.get`: one booking the principal is a party to. */
  getBooking(principal: CalendarPrincipal, id: number): Promise<BookingDto> {
    return this.call('bookings.get', principal, { id });
  }

  /** `bookings.list`: the bookings the principal may see. */
  listBookings(principal: CalendarPrincipal, query: ListBookingsQuery = {}): Promise<BookingPageDto> {
    return this.call('bookings.list', principal, query);
  }

  /** `bookings.cancel`: frees the time; cancelling twice is a no-op. */
  cancelBooking(principal: CalendarPrincipal, id: number): Promise<BookingDto> {
    return this.call('bookings.cancel', principal, { id });
  }

  /** `bookings.reschedule`: moves the booking in place, or leaves it untouched. */
  rescheduleBooking(principal: CalendarPrincipal, id: number, target: RescheduleDto): Promise<BookingDto> {
    return this.call('bookings.reschedule', principal, { ...target, id });
  }

  /** `holds.create`: holds free time for the principal (a user, or the admin for `user_id`); book it with `createBooking` `{hold_id}`. With `specialization`, the pool assigns the consultant. */
  createHold(principal: CalendarPrincipal, hold: CreateHoldDto): Promise<HoldDto> {
    return this.call('holds.create', principal, hold);
  }

  /** `holds.release`: frees a hold of the principal's (any, for the admin) at once. */
  releaseHold(principal: CalendarPrincipal, id: number): Promise<void> {
    return this.call('holds.release', principal, { id });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }

  private async call<T>(pattern: string, principal: CalendarPrincipal | undefined, data: object): Promise<T> {
    const envelope: Envelope = { token: this.options.token, ...(principal && { principal }), data };
    try {
      // A pattern that answers nothing (`holds.release`) completes without a value: that is its answer.
      return await firstValueFrom(
        this.proxy.send<T>(wirePattern(this.target, pattern), envelope).pipe(timeout({ first: this.timeoutMs })),
        { defaultValue: undefined as T },
      );
    } catch (error) {
      if (isProblem(error)) throw new CalendarClientError(pattern, error);
      const reason =
        error instanceof TimeoutError
          ? `no answer within ${this.timeoutMs} ms`
          : typeof error === 'string'
            ? error
            : ((error as Error)?.message ?? 'the transport failed');
      throw new CalendarTransportError(pattern, reason, { cause: error });
    }
  }
}
