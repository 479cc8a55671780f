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
  @ApiOperation({ summary: 'Subscribe a URL to event types; the answer holds the signing secret, once' })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiProblems(400, 404, 422)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Subscriptions the caller may see: its own (consultant), or all (admin)' })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiProblems(400)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListWebhooksQuery): Promise<WebhookPageDto> {
    return this.webhooks.list(principal, query);
  }

  @Get(':id')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({ summary: 'One subscription (never its secret)' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  get(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<WebhookDto> {
    return this.webhooks.get(principal, id);
  }

  @Patch(':id')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({ summary: 'Change URL or event types; enabled=true turns a disabled subscription back on' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
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
  @ApiOperation({ summary: 'Unsubscribe; pending deliveries go with it' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  remove(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<void> {
    return this.webhooks.remove(principal, id);
  }

  @Get(':id/deliveries')
  @ApiIdParam('id', 'Webhook id')
  @ApiOperation({ summary: 'Deliveries, newest first, each with its attempts (time, duration, response status)' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiProblems(400, 404)
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
  @ApiOperation({ summary: 'Send a delivery again, now, with the same webhook-id' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  @ApiProblems(400, 404)
  redeliver(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @IdParam('delivery_id') deliveryId: number,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(principal, id, deliveryId);
  }
}
