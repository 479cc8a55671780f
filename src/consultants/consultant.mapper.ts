import type { ConsultantDto } from './dto/consultant.dto';
import type { Consultant } from './entities/consultant.entity';

export const toConsultantDto = (c: Consultant): ConsultantDto => ({
  id: c.id,
  first_name: c.firstName,
  last_name: c.lastName,
  timezone: c.timezone,
  specialization: c.specialization,
  created_at: c.createdAt.toISOString(),
});
