import type { ConsultantDto } from './dto/consultant.dto';
import type { Consultant } from './entities/consultant.entity';

/** The entity's columns a client sees: what the read paths select. */
export type ConsultantFields = Pick<
  Consultant,
  'id' | 'firstName' | 'lastName' | 'timezone' | 'specialization' | 'createdAt'
>;

export const toConsultantDto = (c: ConsultantFields): ConsultantDto => ({
  id: c.id,
  first_name: c.firstName,
  last_name: c.lastName,
  timezone: c.timezone,
  specialization: c.specialization,
  created_at: c.createdAt.toISOString(),
});
