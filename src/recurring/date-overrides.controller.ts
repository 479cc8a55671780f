import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { DateOverridesService } from './date-overrides.service';
import {
  CreateDateOverrideDto,
  DateOverrideDto,
  DateOverridePageDto,
  ListDateOverridesQuery,
} from './dto/date-override.dto';

@ApiTags('date overrides')
@Controller()
export class DateOverridesController {
  constructor(private readonly overrides: DateOverridesService) {}

  @Post('consultants/:id/date-overrides')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'createDateOverride',
    summary: "Replace one local date's weekly windows with others, or make it unavailable; 409 if it has one",
  })
  @ApiCreatedResponse({ description: 'The date override', type: DateOverrideDto })
  @ApiProblems('validation-error', 'not-found', 'date-override-exists')
  create(@IdParam('id') id: number, @Body() dto: CreateDateOverrideDto): Promise<DateOverrideDto> {
    return this.overrides.create(id, dto);
  }

  @Get('consultants/:id/date-overrides')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ operationId: 'listDateOverrides', summary: "A consultant's date overrides, by date" })
  @ApiOkResponse({ description: 'A page of the date overrides, by date', type: DateOverridePageDto })
  @ApiProblems('validation-error', 'not-found')
  list(@IdParam('id') id: number, @Query() query: ListDateOverridesQuery): Promise<DateOverridePageDto> {
    return this.overrides.list(id, query);
  }

  @Delete('consultants/:id/date-overrides/:override_id')
  @HttpCode(204)
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdParam('override_id', 'Date override id')
  @ApiOperation({
    operationId: 'deleteDateOverride',
    summary: 'Delete a date override: the weekly windows hold on that date again',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems('validation-error', 'not-found')
  remove(@IdParam('id') id: number, @IdParam('override_id') overrideId: number): Promise<void> {
    return this.overrides.remove(id, overrideId);
  }
}
