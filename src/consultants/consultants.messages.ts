import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { MessageData } from '../messaging/envelope';
import { IdMessage } from '../messaging/id-message.dto';
import { ConsultantsService } from './consultants.service';
import { ConsultantDto, ConsultantPageDto, ListConsultantsQuery } from './dto/consultant.dto';

/** Internal messages about consultants (docs/MESSAGES.md): public reads, as over HTTP. */
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
}
