import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
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
  @ApiOperation({ summary: 'Create a consultant; the response holds its api_token, once' })
  @ApiCreatedResponse({ type: CreatedConsultantDto })
  @ApiProblems(400)
  create(@Body() dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    return this.consultants.create(dto);
  }

  @Post('consultant')
  @Access('admin')
  @ApiOperation({ summary: 'Seed alias of POST /consultants', tags: ['seed aliases'] })
  @ApiCreatedResponse({ type: CreatedConsultantDto })
  @ApiProblems(400)
  createSeed(@Body() dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    return this.consultants.create(dto);
  }

  @Get('consultants')
  @ApiOperation({ summary: 'List consultants, optionally by specialization' })
  @ApiOkResponse({ type: ConsultantPageDto })
  @ApiProblems(400)
  list(@Query() query: ListConsultantsQuery): Promise<ConsultantPageDto> {
    return this.consultants.list(query);
  }

  @Get('specializations')
  @ApiOperation({
    summary:
      'Each specialization with its number of consultants, for pooled booking (compared trimmed and case-insensitively)',
  })
  @ApiOkResponse({ type: SpecializationListDto })
  specializations(): Promise<SpecializationListDto> {
    return this.consultants.specializations();
  }

  @Get('consultants/:id')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'One consultant' })
  @ApiOkResponse({ type: ConsultantDto })
  @ApiProblems(400, 404)
  get(@IdParam('id') id: number): Promise<ConsultantDto> {
    return this.consultants.get(id);
  }

  @Get('consultant/:id')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Seed alias of GET /consultants/{id}', tags: ['seed aliases'] })
  @ApiOkResponse({ type: ConsultantDto })
  @ApiProblems(400, 404)
  getSeed(@IdParam('id') id: number): Promise<ConsultantDto> {
    return this.consultants.get(id);
  }

  @Patch('consultants/:id')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Change names, time zone or specialization' })
  @ApiOkResponse({ type: ConsultantDto })
  @ApiProblems(400, 404)
  update(@IdParam('id') id: number, @Body() dto: UpdateConsultantDto): Promise<ConsultantDto> {
    return this.consultants.update(id, dto);
  }

  @Delete('consultants/:id')
  @HttpCode(204)
  @Access('admin')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: 'Delete a consultant; 409 while it has future confirmed bookings' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  remove(@IdParam('id') id: number): Promise<void> {
    return this.consultants.remove(id);
  }

  @Get('consultants/:id/policy')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({ summary: "The consultant's booking policy (defaults until one is set)" })
  @ApiOkResponse({ type: PolicyDto })
  @ApiProblems(400, 404)
  getPolicy(@IdParam('id') id: number): Promise<PolicyDto> {
    return this.consultants.getPolicy(id);
  }

  @Put('consultants/:id/policy')
  @Access('admin', 'consultant:self')
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    summary: 'Replace the booking policy; a field left out takes its default. Existing bookings stay as they are',
  })
  @ApiOkResponse({ type: PolicyDto })
  @ApiProblems(400, 404)
  updatePolicy(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: UpdatePolicyDto,
  ): Promise<PolicyDto> {
    return this.consultants.updatePolicy(principal, id, dto);
  }
}
