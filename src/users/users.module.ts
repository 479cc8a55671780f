import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PRINCIPAL_SOURCES } from '../common/auth/principal-source';
import { ConsultantsModule } from '../consultants/consultants.module';
import { User } from './entities/user.entity';
import { MeController } from './me.controller';
import { MeService } from './me.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), ConsultantsModule],
  controllers: [UsersController, MeController],
  providers: [UsersService, MeService, { provide: PRINCIPAL_SOURCES.user, useExisting: UsersService }],
  exports: [UsersService, PRINCIPAL_SOURCES.user],
})
export class UsersModule {}
