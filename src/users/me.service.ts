import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal';
import { ConsultantsService } from '../consultants/consultants.service';
import { UsersService } from './users.service';
import type { MeDto } from './dto/me.dto';

@Injectable()
export class MeService {
  constructor(
    private readonly consultants: ConsultantsService,
    private readonly users: UsersService,
  ) {}

  async describe(principal: Principal): Promise<MeDto> {
    if (principal.role === 'admin') return { role: 'admin' };
    const who =
      principal.role === 'consultant' ? await this.consultants.get(principal.id) : await this.users.get(principal.id);
    return { role: principal.role, id: who.id, first_name: who.first_name, last_name: who.last_name };
  }
}
