import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems, SEED_COMPATIBILITY } from '../common/http/api-problems.decorator';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import {
  CreateRecurringDto,
  ListRecurringQuery,
  RecurringDto,
  RecurringPageDto,
  UpdateRecurringDto,
  WeeklyScheduleDto,
} from './dto/recurring.dto';
import { RecurringService } from './recurring.service';

@ApiTags('recurring availability')
@Controller()
export class RecurringController {
  constructor(private readonly rules: RecurringService) {}

  @Post('consultants/:id/recurring')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'createRecurringWindow',
    summary: 'Add a weekly window (local wall-clock); 409 if it overlaps another active one',
  })
  @ApiCreatedResponse({ description: 'The weekly window', type: RecurringDto })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  create(@IdParam('id') id: number, @Body() dto: CreateRecurringDto): Promise<RecurringDto> {
    return this.rules.create(id, dto);
  }

  @Post('consultant/:id/recurring')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'createRecurringWindowSeed',
    summary: 'Seed alias of POST /consultants/{id}/recurring',
    ...SEED_COMPATIBILITY,
  })
  @ApiCreatedResponse({ description: 'The weekly window', type: RecurringDto })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  createSeed(@IdParam('id') id: number, @Body() dto: CreateRecurringDto): Promise<RecurringDto> {
    return this.rules.create(id, dto);
  }

  @Get('consultants/:id/recurring')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ operationId: 'listRecurringWindows', summary: "A consultant's weekly windows, by day and start" })
  @ApiOkResponse({ description: 'A page of the weekly windows, by day and start', type: RecurringPageDto })
  @ApiProblems('validation-error', 'not-found')
  list(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Get('consultant/:id/recurring')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'listRecurringWindowsSeed',
    summary: 'Seed alias of GET /consultants/{id}/recurring',
    ...SEED_COMPATIBILITY,
  })
  @ApiOkResponse({ description: 'A page of the weekly windows, by day and start', type: RecurringPageDto })
  @ApiProblems('validation-error', 'not-found')
  listSeed(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Get('api/doctors/:id/availability')
  @ApiIdParam('id', 'Doctor (consultant) id')
  @ApiOperation({
    operationId: 'listDoctorAvailability',
    summary: "Seed 004 alias: the doctor's weekly windows",
    ...SEED_COMPATIBILITY,
  })
  @ApiOkResponse({ description: 'A page of the weekly windows, by day and start', type: RecurringPageDto })
  @ApiProblems('validation-error', 'not-found')
  listDoctor(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Patch('consultants/:id/recurring/:rule_id')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdParam('rule_id', 'Rule id')
  @ApiOperation({ operationId: 'updateRecurringWindow', summary: 'Change a weekly window, e.g. is_active' })
  @ApiOkResponse({ description: 'The weekly window as changed', type: RecurringDto })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  update(
    @IdParam('id') id: number,
    @IdParam('rule_id') ruleId: number,
    @Body() dto: UpdateRecurringDto,
  ): Promise<RecurringDto> {
    return this.rules.update(id, ruleId, dto);
  }

  @Delete('consultants/:id/recurring/:rule_id')
  @HttpCode(204)
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdParam('rule_id', 'Rule id')
  @ApiOperation({ operationId: 'deleteRecurringWindow', summary: 'Delete a weekly window; bookings already made stay' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems('validation-error', 'not-found')
  remove(@IdParam('id') id: number, @IdParam('rule_id') ruleId: number): Promise<void> {
    return this.rules.remove(id, ruleId);
  }

  @Put('consultants/:id/weekly-schedule')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'replaceWeeklySchedule',
    summary: 'Replace every weekly window at once: all or nothing',
  })
  @ApiOkResponse({ description: 'Every weekly window of the new schedule', type: RecurringDto, isArray: true })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  replaceWeek(@IdParam('id') id: number, @Body() dto: WeeklyScheduleDto): Promise<RecurringDto[]> {
    return this.rules.replaceWeek(id, dto.availability);
  }

  @Post('api/doctors/:id/availability')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Doctor (consultant) id')
  @ApiOperation({
    operationId: 'createDoctorAvailability',
    summary: 'Seed 004: add several weekly windows at once, all or nothing',
    ...SEED_COMPATIBILITY,
  })
  @ApiCreatedResponse({ description: 'The weekly windows made, in the order given', type: RecurringDto, isArray: true })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  createDoctor(@IdParam('id') id: number, @Body() dto: WeeklyScheduleDto): Promise<RecurringDto[]> {
    return this.rules.createMany(id, dto.availability);
  }

  @Patch('api/availability/:rule_id/toggle')
  @Access('admin', 'consultant')
  @ApiIdParam('rule_id', 'Rule id')
  @ApiOperation({
    operationId: 'toggleRecurringWindow',
    summary: "Seed 004: flip a weekly window's is_active (its consultant or the admin)",
    ...SEED_COMPATIBILITY,
  })
  @ApiOkResponse({ description: 'The weekly window with is_active flipped', type: RecurringDto })
  @ApiProblems('validation-error', 'not-found', 'recurring-overlap')
  toggle(@CurrentPrincipal() principal: Principal, @IdParam('rule_id') ruleId: number): Promise<RecurringDto> {
    return this.rules.toggle(principal, ruleId);
  }
}
