import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PRINCIPAL_SOURCES } from '../common/auth/principal-source';
import { ConsultantRemovalChecks } from './consultant-removal';
import { ConsultantsController } from './consultants.controller';
import { ConsultantsMessages } from './consultants.messages';
import { ConsultantsService } from './consultants.service';
import { Consultant } from './entities/consultant.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Consultant]), DiscoveryModule],
  controllers: [ConsultantsController, ConsultantsMessages],
  providers: [
    ConsultantsService,
    ConsultantRemovalChecks,
    { provide: PRINCIPAL_SOURCES.consultant, useExisting: ConsultantsService },
  ],
  exports: [ConsultantsService, ConsultantRemovalChecks, PRINCIPAL_SOURCES.consultant],
})
export class ConsultantsModule {}
