import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { PageQuery } from '../common/http/pagination';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  ListWebhooksQuery,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookPageDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

/** Webhook subscriptions: the admin's for any consultant, a consultant's for its own events. */
@ApiTags('webhooks')
@Controller('webhooks')
@Access('admin', 'consultant')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe a URL to event types; the answer holds the signing secret, once',
  })
  @ApiCreatedResponse({
    description: 'The subscription, with its signing secret (shown this once)',
    type: CreatedWebhookDto,
  })
  @ApiProblems('validation-error', 'not-found', 'webhook-limit')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(principal, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listWebhooks',
    summary: 'Subscriptions the caller may see: its own (consultant), or all (admin)',
  })
  @ApiOkResponse({ description: 'A page of subscriptions, by id', type: WebhookPageDto })
  @ApiProblems('validation-error')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListWebhooksQuery): Promise<WebhookPageDto> {
    return this.webhooks.list(principal, query);
  }

  @Get(':id')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({ operationId: 'getWebhook', summary: 'One subscription (never its secret)' })
  @ApiOkResponse({ description: 'The subscription', type: WebhookDto })
  @ApiProblems('validation-error', 'not-found')
  get(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<WebhookDto> {
    return this.webhooks.get(principal, id);
  }

  @Patch(':id')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change URL or event types; enabled=true turns a disabled subscription back on',
  })
  @ApiOkResponse({ description: 'The subscription as changed', type: WebhookDto })
  @ApiProblems('validation-error', 'not-found')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookDto> {
    return this.webhooks.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Unsubscribe; pending deliveries go with it' })
  @ApiNoContentResponse({ description: 'Deleted, with its deliveries' })
  @ApiProblems('validation-error', 'not-found')
  remove(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<void> {
    return this.webhooks.remove(principal, id);
  }

  @Get(':id/deliveries')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'Deliveries, newest first, each with its attempts (time, duration, response status)',
  })
  @ApiOkResponse({ description: 'A page of deliveries, newest first', type: WebhookDeliveryPageDto })
  @ApiProblems('validation-error', 'not-found')
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Query() query: PageQuery,
  ): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.listDeliveries(principal, id, query);
  }

  @Post(':id/deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @ApiIdParam('id', 'Webhook id')
  @ApiIdParam('delivery_id', 'Delivery id')
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: 'Send a delivery again, now, with the same webhook-id',
  })
  @ApiAcceptedResponse({ description: 'The delivery, being sent again', type: WebhookDeliveryDto })
  @ApiProblems('validation-error', 'not-found')
  redeliver(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @IdParam('delivery_id') deliveryId: number,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(principal, id, deliveryId);
  }
}
