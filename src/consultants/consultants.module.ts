import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsultantRemovalChecks } from './consultant-removal';
import { ConsultantsController } from './consultants.controller';
import { ConsultantsMessages } from './consultants.messages';
import { ConsultantsService } from './consultants.service';
import { Consultant } from './entities/consultant.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Consultant])],
  controllers: [ConsultantsController, ConsultantsMessages],
  providers: [ConsultantsService, ConsultantRemovalChecks],
  exports: [ConsultantsService, ConsultantRemovalChecks],
})
export class ConsultantsModule {}
