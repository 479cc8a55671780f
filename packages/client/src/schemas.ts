import type { components, paths } from './openapi';

// The payloads and answers of the internal messages are the HTTP API's, named as its OpenAPI
// document names them (openapi.ts is generated from it): a caller of either face gets one set of types.
type Schemas = components['schemas'];
type QueryOf<Path extends keyof paths> = paths[Path] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export type ConsultantDto = Schemas['ConsultantDto'];
export type ConsultantPageDto = Schemas['ConsultantPageDto'];
export type PolicyDto = Schemas['PolicyDto'];
export type UpdatePolicyDto = Schemas['UpdatePolicyDto'];
export type ConsultantRangeDto = Schemas['ConsultantRangeDto'];
export type BookingDto = Schemas['BookingDto'];
export type BookingPageDto = Schemas['BookingPageDto'];
export type CreateBookingDto = Schemas['CreateBookingDto'];
/** A booking's new time: one target, as `POST /bookings/{id}/reschedule` takes it. */
export type RescheduleDto = Schemas['RescheduleDto'];
export type CreateHoldDto = Schemas['CreateHoldDto'];
export type HoldDto = Schemas['HoldDto'];
export type ProblemDto = Schemas['ProblemDto'];
export type ListConsultantsQuery = QueryOf<'/consultants'>;
export type ListBookingsQuery = QueryOf<'/bookings'>;
/** The time in which at least one consultant of a specialization is free (`availability.pooled`). */
export type PooledViewDto = Schemas['PooledViewDto'];
export type PooledSlotDto = Schemas['PooledSlotDto'];
export type PooledViewQuery = QueryOf<'/availabilities/pooled'>;
/** One consultant's free time (`availability.free`): the time-range view's query for one consultant. */
export type FreeTimeQuery = Pick<QueryOf<'/availabilities/timerange'>, 'start' | 'end' | 'slot_minutes'> & {
  consultant_id: number;
};
