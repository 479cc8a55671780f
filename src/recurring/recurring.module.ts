import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsultantsModule } from '../consultants/consultants.module';
import { DateOverridesController } from './date-overrides.controller';
import { DateOverridesService } from './date-overrides.service';
import { DateOverride } from './entities/date-override.entity';
import { RecurringRule } from './entities/recurring-rule.entity';
import { RecurringController } from './recurring.controller';
import { RecurringService } from './recurring.service';

@Module({
  imports: [TypeOrmModule.forFeature([RecurringRule, DateOverride]), ConsultantsModule],
  controllers: [RecurringController, DateOverridesController],
  providers: [RecurringService, DateOverridesService],
  exports: [RecurringService],
})
export class RecurringModule {}
