import { Column } from 'typeorm';

/**
 * `during`: the half-open range `[start_at, end_at)`, generated and stored, so back-to-back
 * intervals do not collide. Slots and bookings carry it for their exclusion constraints and their
 * overlap queries; the application never writes or reads it as a value.
 */
export const DuringColumn = (): PropertyDecorator =>
  Column({
    type: 'tstzrange',
    generatedType: 'STORED',
    asExpression: `tstzrange(start_at, end_at, '[)')`,
    nullable: true,
    select: false,
    insert: false,
    update: false,
  });
