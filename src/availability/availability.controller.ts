import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { type Answer, ApiConditional, Conditional, type ConditionalGet } from '../common/http/conditional-get';
import { badRequest } from '../common/errors';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { AvailabilityService } from './availability.service';
import {
  AvailabilityDto,
  AvailabilityPageDto,
  CreateAvailabilityDto,
  ListAvailabilityQuery,
  SlotIdBodyDto,
  SlotIdDto,
} from './dto/availability.dto';

@ApiTags('availability')
@Controller()
export class AvailabilityController {
  constructor(private readonly slots: AvailabilityService) {}

  @Post('consultants/:id/availabilities')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Publish a one-time slot (consultant-local date and times; the seed uses this path too)' })
  @ApiCreatedResponse({ type: AvailabilityDto })
  @ApiProblems(400, 404, 409)
  create(@IdParam('id') id: number, @Body() dto: CreateAvailabilityDto): Promise<AvailabilityDto> {
    return this.slots.create(id, dto);
  }

  @Get('consultants/:id/availabilities')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: "A consultant's one-time slots, ordered by start" })
  @ApiOkResponse({ type: AvailabilityPageDto })
  @ApiConditional()
  @ApiProblems(400, 404)
  list(
    @IdParam('id') id: number,
    @Query() query: ListAvailabilityQuery,
    @Conditional() conditional: ConditionalGet,
  ): Promise<Answer<AvailabilityPageDto>> {
    return conditional.answer(
      () => this.slots.calendarVersion(id),
      () => this.slots.list(id, query),
    );
  }

  @Get('consultant/:id/availability')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Seed alias of GET /consultants/{id}/availabilities', tags: ['seed aliases'] })
  @ApiOkResponse({ type: AvailabilityPageDto })
  @ApiConditional()
  @ApiProblems(400, 404)
  listSeed(
    @IdParam('id') id: number,
    @Query() query: ListAvailabilityQuery,
    @Conditional() conditional: ConditionalGet,
  ): Promise<Answer<AvailabilityPageDto>> {
    return this.list(id, query, conditional);
  }

  @Delete('consultants/:id/availabilities/:slot_id')
  @HttpCode(204)
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdParam('slot_id', 'Slot id')
  @ApiOperation({ summary: 'Delete a slot; 409 while it is booked' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  remove(@IdParam('id') id: number, @IdParam('slot_id') slotId: number): Promise<void> {
    return this.slots.remove(id, slotId);
  }

  @Delete('consultant/:id/availability')
  @HttpCode(204)
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    summary:
      'Seed alias of DELETE /consultants/{id}/availabilities/{slot_id}: the slot id in the body {"id": …} or as ?id=',
    tags: ['seed aliases'],
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  removeSeed(@IdParam('id') id: number, @Body() body: SlotIdBodyDto, @Query() query: SlotIdDto): Promise<void> {
    const slotId = body?.id ?? query.id;
    if (slotId === undefined)
      throw badRequest('Name the slot: {"id": <slot id>} in the body or ?id=', [
        { field: 'id', message: 'is required' },
      ]);
    return this.slots.remove(id, slotId);
  }
}
