import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
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
  @ApiOperation({ summary: 'Add a weekly window (local wall-clock); 409 if it overlaps another active one' })
  @ApiCreatedResponse({ type: RecurringDto })
  @ApiProblems(400, 404, 409)
  create(@IdParam('id') id: number, @Body() dto: CreateRecurringDto): Promise<RecurringDto> {
    return this.rules.create(id, dto);
  }

  @Post('consultant/:id/recurring')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Seed alias of POST /consultants/{id}/recurring', tags: ['seed aliases'] })
  @ApiCreatedResponse({ type: RecurringDto })
  @ApiProblems(400, 404, 409)
  createSeed(@IdParam('id') id: number, @Body() dto: CreateRecurringDto): Promise<RecurringDto> {
    return this.rules.create(id, dto);
  }

  @Get('consultants/:id/recurring')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: "A consultant's weekly windows, by day and start" })
  @ApiOkResponse({ type: RecurringPageDto })
  @ApiProblems(400, 404)
  list(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Get('consultant/:id/recurring')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Seed alias of GET /consultants/{id}/recurring', tags: ['seed aliases'] })
  @ApiOkResponse({ type: RecurringPageDto })
  @ApiProblems(400, 404)
  listSeed(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Get('api/doctors/:id/availability')
  @ApiIdParam('id', 'Doctor (consultant) id')
  @ApiOperation({ summary: "Seed 004 alias: the doctor's weekly windows", tags: ['seed aliases'] })
  @ApiOkResponse({ type: RecurringPageDto })
  @ApiProblems(400, 404)
  listDoctor(@IdParam('id') id: number, @Query() query: ListRecurringQuery): Promise<RecurringPageDto> {
    return this.rules.list(id, query);
  }

  @Patch('consultants/:id/recurring/:rule_id')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdParam('rule_id', 'Rule id')
  @ApiOperation({ summary: 'Change a weekly window, e.g. is_active' })
  @ApiOkResponse({ type: RecurringDto })
  @ApiProblems(400, 404, 409)
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
  @ApiOperation({ summary: 'Delete a weekly window; bookings already made stay' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  remove(@IdParam('id') id: number, @IdParam('rule_id') ruleId: number): Promise<void> {
    return this.rules.remove(id, ruleId);
  }

  @Put('consultants/:id/weekly-schedule')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Replace every weekly window at once: all or nothing' })
  @ApiOkResponse({ type: RecurringDto, isArray: true })
  @ApiProblems(400, 404, 409)
  replaceWeek(@IdParam('id') id: number, @Body() dto: WeeklyScheduleDto): Promise<RecurringDto[]> {
    return this.rules.replaceWeek(id, dto.availability);
  }

  @Post('api/doctors/:id/availability')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Doctor (consultant) id')
  @ApiOperation({ summary: 'Seed 004: add several weekly windows at once, all or nothing', tags: ['seed aliases'] })
  @ApiCreatedResponse({ type: RecurringDto, isArray: true })
  @ApiProblems(400, 404, 409)
  createDoctor(@IdParam('id') id: number, @Body() dto: WeeklyScheduleDto): Promise<RecurringDto[]> {
    return this.rules.createMany(id, dto.availability);
  }

  @Patch('api/availability/:rule_id/toggle')
  @Access('admin', 'consultant')
  @ApiIdParam('rule_id', 'Rule id')
  @ApiOperation({
    summary: "Seed 004: flip a weekly window's is_active (its consultant or the admin)",
    tags: ['seed aliases'],
  })
  @ApiOkResponse({ type: RecurringDto })
  @ApiProblems(400, 404, 409)
  toggle(@CurrentPrincipal() principal: Principal, @IdParam('rule_id') ruleId: number): Promise<RecurringDto> {
    return this.rules.toggle(principal, ruleId);
  }
}
