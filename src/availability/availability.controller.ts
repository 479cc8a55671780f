import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems, SEED_COMPATIBILITY } from '../common/http/api-problems.decorator';
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
  @ApiOperation({
    operationId: 'createAvailability',
    summary: 'Publish a one-time slot (consultant-local date and times; the seed uses this path too)',
  })
  @ApiCreatedResponse({ description: 'The slot, with its local and UTC times', type: AvailabilityDto })
  @ApiProblems('validation-error', 'not-found', 'availability-overlap')
  create(@IdParam('id') id: number, @Body() dto: CreateAvailabilityDto): Promise<AvailabilityDto> {
    return this.slots.create(id, dto);
  }

  @Get('consultants/:id/availabilities')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'listConsultantAvailability',
    summary: "A consultant's one-time slots, ordered by start",
  })
  @ApiOkResponse({ description: 'A page of the slots, ordered by start', type: AvailabilityPageDto })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found')
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
  @ApiOperation({
    operationId: 'listConsultantAvailabilitySeed',
    summary: 'Seed alias of GET /consultants/{id}/availabilities',
    ...SEED_COMPATIBILITY,
  })
  @ApiOkResponse({ description: 'A page of the slots, ordered by start', type: AvailabilityPageDto })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found')
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
  @ApiOperation({ operationId: 'deleteAvailability', summary: 'Delete a slot; 409 while it is booked' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems('validation-error', 'not-found', 'slot-booked')
  remove(@IdParam('id') id: number, @IdParam('slot_id') slotId: number): Promise<void> {
    return this.slots.remove(id, slotId);
  }

  @Delete('consultant/:id/availability')
  @HttpCode(204)
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'deleteAvailabilitySeed',
    summary:
      'Seed alias of DELETE /consultants/{id}/availabilities/{slot_id}: the slot id in the body {"id": …} or as ?id=',
    ...SEED_COMPATIBILITY,
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems('validation-error', 'not-found', 'slot-booked')
  removeSeed(@IdParam('id') id: number, @Body() body: SlotIdBodyDto, @Query() query: SlotIdDto): Promise<void> {
    const slotId = body?.id ?? query.id;
    if (slotId === undefined)
      throw badRequest('Name the slot: {"id": <slot id>} in the body or ?id=', [
        { field: 'id', message: 'is required' },
      ]);
    return this.slots.remove(id, slotId);
  }
}
