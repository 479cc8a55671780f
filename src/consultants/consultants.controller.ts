import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems, SEED_COMPATIBILITY } from '../common/http/api-problems.decorator';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { ConsultantsService } from './consultants.service';
import {
  ConsultantDto,
  ConsultantPageDto,
  CreateConsultantDto,
  CreatedConsultantDto,
  ListConsultantsQuery,
  SpecializationListDto,
  UpdateConsultantDto,
} from './dto/consultant.dto';
import { PolicyDto, UpdatePolicyDto } from './dto/policy.dto';

@ApiTags('consultants')
@Controller()
export class ConsultantsController {
  constructor(private readonly consultants: ConsultantsService) {}

  @Post('consultants')
  @Access('admin')
  @ApiOperation({
    operationId: 'createConsultant',
    summary: 'Create a consultant; the response holds its api_token, once',
  })
  @ApiCreatedResponse({
    description: 'The consultant, with its api_token (shown this once)',
    type: CreatedConsultantDto,
  })
  @ApiProblems('validation-error')
  create(@Body() dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    return this.consultants.create(dto);
  }

  @Post('consultant')
  @Access('admin')
  @ApiOperation({
    operationId: 'createConsultantSeed',
    summary: 'Seed alias of POST /consultants',
    ...SEED_COMPATIBILITY,
  })
  @ApiCreatedResponse({
    description: 'The consultant, with its api_token (shown this once)',
    type: CreatedConsultantDto,
  })
  @ApiProblems('validation-error')
  createSeed(@Body() dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    return this.consultants.create(dto);
  }

  @Get('consultants')
  @ApiOperation({ operationId: 'listConsultants', summary: 'List consultants, optionally by specialization' })
  @ApiOkResponse({ description: 'A page of consultants, by id', type: ConsultantPageDto })
  @ApiProblems('validation-error')
  list(@Query() query: ListConsultantsQuery): Promise<ConsultantPageDto> {
    return this.consultants.list(query);
  }

  @Get('specializations')
  @ApiOperation({
    operationId: 'listSpecializations',
    summary:
      'Each specialization with its number of consultants, for pooled booking (compared trimmed and case-insensitively)',
  })
  @ApiOkResponse({
    description: 'Each specialization with its number of consultants and of pooled ones',
    type: SpecializationListDto,
  })
  specializations(): Promise<SpecializationListDto> {
    return this.consultants.specializations();
  }

  @Get('consultants/:id')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ operationId: 'getConsultant', summary: 'One consultant' })
  @ApiOkResponse({ description: 'The consultant', type: ConsultantDto })
  @ApiProblems('validation-error', 'not-found')
  get(@IdParam('id') id: number): Promise<ConsultantDto> {
    return this.consultants.get(id);
  }

  @Get('consultant/:id')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'getConsultantSeed',
    summary: 'Seed alias of GET /consultants/{id}',
    ...SEED_COMPATIBILITY,
  })
  @ApiOkResponse({ description: 'The consultant', type: ConsultantDto })
  @ApiProblems('validation-error', 'not-found')
  getSeed(@IdParam('id') id: number): Promise<ConsultantDto> {
    return this.consultants.get(id);
  }

  @Patch('consultants/:id')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ operationId: 'updateConsultant', summary: 'Change names, time zone or specialization' })
  @ApiOkResponse({ description: 'The consultant as changed', type: ConsultantDto })
  @ApiProblems('validation-error', 'not-found')
  update(@IdParam('id') id: number, @Body() dto: UpdateConsultantDto): Promise<ConsultantDto> {
    return this.consultants.update(id, dto);
  }

  @Delete('consultants/:id')
  @HttpCode(204)
  @Access('admin')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'deleteConsultant',
    summary: 'Delete a consultant; 409 while it has future confirmed bookings',
  })
  @ApiNoContentResponse({ description: 'Deleted, with its slots, windows, overrides and past bookings' })
  @ApiProblems('validation-error', 'not-found', 'consultant-has-bookings', 'conflict')
  remove(@IdParam('id') id: number): Promise<void> {
    return this.consultants.remove(id);
  }

  @Get('consultants/:id/policy')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'getConsultantPolicy',
    summary: "The consultant's booking policy (defaults until one is set)",
  })
  @ApiOkResponse({ description: 'The booking policy, each field at its default until set', type: PolicyDto })
  @ApiProblems('validation-error', 'not-found')
  getPolicy(@IdParam('id') id: number): Promise<PolicyDto> {
    return this.consultants.getPolicy(id);
  }

  @Put('consultants/:id/policy')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'replaceConsultantPolicy',
    summary: 'Replace the booking policy; a field left out takes its default. Existing bookings stay as they are',
  })
  @ApiOkResponse({ description: 'The booking policy as stored', type: PolicyDto })
  @ApiProblems('validation-error', 'not-found')
  updatePolicy(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: UpdatePolicyDto,
  ): Promise<PolicyDto> {
    return this.consultants.updatePolicy(principal, id, dto);
  }
}
