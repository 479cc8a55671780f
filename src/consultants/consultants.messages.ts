import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { MessageData } from '../messaging/envelope';
import { IdMessage } from '../messaging/id-message.dto';
import { ConsultantsService } from './consultants.service';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ConsultantDto, ConsultantPageDto, ListConsultantsQuery } from './dto/consultant.dto';
import { PolicyDto, UpdatePolicyMessage } from './dto/policy.dto';

/** Internal messages about consultants (docs/MESSAGES.md): public reads and the policy, as over HTTP. */
@Controller()
export class ConsultantsMessages {
  constructor(private readonly consultants: ConsultantsService) {}

  @MessagePattern('consultants.get')
  get(@MessageData() { id }: IdMessage): Promise<ConsultantDto> {
    return this.consultants.get(id);
  }

  @MessagePattern('consultants.list')
  list(@MessageData() query: ListConsultantsQuery): Promise<ConsultantPageDto> {
    return this.consultants.list(query);
  }

  @MessagePattern('consultants.policy.get')
  getPolicy(@MessageData() { id }: IdMessage): Promise<PolicyDto> {
    return this.consultants.getPolicy(id);
  }

  @MessagePattern('consultants.policy.update')
  @Access('admin', 'consultant')
  updatePolicy(
    @CurrentPrincipal() principal: Principal,
    @MessageData() { id, ...policy }: UpdatePolicyMessage,
  ): Promise<PolicyDto> {
    return this.consultants.updatePolicy(principal, id, policy);
  }
}
