import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { isIP } from 'node:net';
import { Repository } from 'typeorm';
import { actsForConsultant } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, forbidden, notFound, unprocessable } from '../common/errors';
import type { AppConfig } from '../config/configuration';
import { lockConsultant } from '../consultants/consultant-lock';
import { ConsultantsService } from '../consultants/consultants.service';
import { TransactionalConnection } from '../database/transactional-connection';
import type { EventType } from '@consultant-calendar/client';
import type {
  CreatedWebhookDto,
  CreateWebhookDto,
  ListWebhooksQuery,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookPageDto,
} from './dto/webhook.dto';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { WebhookSubscription } from './entities/webhook-subscription.entity';
import { WebhookDispatcher } from './webhook-dispatcher';
import { newSecret } from './webhook-signature';
import { checkedAddresses, ForbiddenTargetError, hostOf, WebhookResolver } from './webhook-target';
import type { PageQuery } from '../common/http/pagination';

const toDto = (s: WebhookSubscription): WebhookDto => ({
  id: s.id,
  consultant_id: s.consultantId,
  url: s.url,
  event_types: s.eventTypes as EventType[],
  enabled: s.enabled,
  failing_since: s.failingSince?.toISOString() ?? null,
  disabled_at: s.disabledAt?.toISOString() ?? null,
  created_at: s.createdAt.toISOString(),
});

const toDeliveryDto = (d: WebhookDelivery): WebhookDeliveryDto => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.event.type,
  sequence: d.sequence,
  status: d.status,
  next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  attempts: d.attempts,
  created_at: d.createdAt.toISOString(),
});

const urlRefused = (message: string) => badRequest(`url ${message}`, [{ field: 'url', message }]);

@Injectable()
export class WebhooksService {
  constructor(
    @InjectRepository(WebhookSubscription) private readonly subscriptions: Repository<WebhookSubscription>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly consultants: ConsultantsService,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly resolver: WebhookResolver,
    private readonly dispatcher: WebhookDispatcher,
    private readonly connection: TransactionalConnection,
  ) {}

  /** The admin subscribes for any consultant, a consultant for itself; the secret is in this answer only. */
  async create(principal: Principal, dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const consultantId = dto.consultant_id ?? (principal.role === 'consultant' ? principal.id : undefined);
    if (consultantId === undefined)
      throw badRequest('The admin subscribes for a consultant: give consultant_id', [
        { field: 'consultant_id', message: 'is required for the admin' },
      ]);
    if (!actsForConsultant(principal, consultantId)) throw forbidden('A consultant subscribes only to its own events.');
    await this.consultants.get(consultantId);
    await this.assertTarget(dto.url);
    const secret = newSecret();
    const max = this.config.get('WEBHOOKS_PER_OWNER', { infer: true });
    const id = await this.connection.withTransaction(async (manager) => {
      // Under the consultant's row lock, concurrent creates count one after the other: the cap is exact.
      await lockConsultant(manager, consultantId);
      const subscriptions = manager.getRepository(WebhookSubscription);
      if ((await subscriptions.countBy({ consultantId })) >= max)
        throw unprocessable(
          'webhook-limit',
          `Consultant ${consultantId} already has ${max} webhook subscriptions, the most one consultant may; delete one first.`,
        );
      const created = subscriptions.create({ consultantId, url: dto.url, eventTypes: dto.event_types, secret });
      await subscriptions.insert(created);
      return created.id;
    });
    return { ...toDto(await this.owned(principal, id)), secret };
  }

  async list(principal: Principal, query: ListWebhooksQuery): Promise<WebhookPageDto> {
    let consultantId = query.consultant_id;
    if (principal.role === 'consultant') {
      if (consultantId !== undefined && consultantId !== principal.id)
        throw forbidden(`You may list only your own webhooks (consultant_id=${principal.id}).`);
      consultantId = principal.id;
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.subscriptions
      .createQueryBuilder('s')
      .orderBy('s.id')
      .limit(limit + 1);
    if (consultantId !== undefined) qb.andWhere('s.consultantId = :consultantId', { consultantId });
    if (query.cursor) qb.andWhere('s.id > :after', { after: decodeCursor<[number]>(query.cursor, ['number'])[0] });
    return toPage(await qb.getMany(), limit, toDto, (s) => [s.id]);
  }

  async get(principal: Principal, id: number): Promise<WebhookDto> {
    return toDto(await this.owned(principal, id));
  }

  /** Changes the URL or the types; `enabled: true` turns a disabled subscription back on. */
  async update(principal: Principal, id: number, dto: UpdateWebhookDto): Promise<WebhookDto> {
    await this.owned(principal, id);
    if (dto.url !== undefined) await this.assertTarget(dto.url);
    const enabled =
      dto.enabled === undefined
        ? {}
        : dto.enabled
          ? { enabled: true, failingSince: null, disabledAt: null }
          : { enabled: false, disabledAt: new Date() };
    await this.subscriptions.update(
      { id },
      {
        ...(dto.url !== undefined && { url: dto.url }),
        ...(dto.event_types !== undefined && { eventTypes: dto.event_types }),
        ...enabled,
      },
    );
    if (dto.enabled) this.dispatcher.wake();
    return toDto(await this.owned(principal, id));
  }

  async remove(principal: Principal, id: number): Promise<void> {
    await this.owned(principal, id);
    await this.subscriptions.delete({ id });
  }

  /** The subscription's deliveries, newest first, each with its attempts. */
  async listDeliveries(principal: Principal, id: number, query: PageQuery): Promise<WebhookDeliveryPageDto> {
    await this.owned(principal, id);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.deliveries
      .createQueryBuilder('d')
      .where('d.subscriptionId = :id', { id })
      .orderBy('d.id', 'DESC')
      .limit(limit + 1);
    if (query.cursor) qb.andWhere('d.id < :before', { before: decodeCursor<[number]>(query.cursor, ['number'])[0] });
    return toPage(await qb.getMany(), limit, toDeliveryDto, (d) => [d.id]);
  }

  /** Sends a delivery again, now, with the same webhook-id; retried as a new delivery would be. */
  async redeliver(principal: Principal, id: number, deliveryId: number): Promise<WebhookDeliveryDto> {
    await this.owned(principal, id);
    const window = this.config.get('WEBHOOK_RETRY_WINDOW_SECONDS', { infer: true });
    const { affected } = await this.deliveries.update(
      { id: deliveryId, subscriptionId: id },
      {
        status: 'pending',
        nextAttemptAt: () => 'now()',
        retryUntil: () => `now() + make_interval(secs => ${Number(window)})`,
        leaseUntil: null,
      },
    );
    if (!affected) throw notFound(`Delivery ${deliveryId} of webhook ${id}`);
    this.dispatcher.wake();
    return toDeliveryDto(await this.deliveries.findOneByOrFail({ id: deliveryId }));
  }

  /** The subscription, if the caller may see it; otherwise a 404 that does not reveal it exists. */
  private async owned(principal: Principal, id: number): Promise<WebhookSubscription> {
    const subscription = await this.subscriptions.findOneBy({ id });
    if (!subscription || !actsForConsultant(principal, subscription.consultantId)) throw notFound(`Webhook ${id}`);
    return subscription;
  }

  /** http or https, no credentials, and (unless allowed) no loopback, private, link-local or metadata address. */
  private async assertTarget(text: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw urlRefused('is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw urlRefused('must be http or https');
    if (url.username || url.password) throw urlRefused('must not carry credentials');
    const allowPrivate = this.config.get('WEBHOOK_ALLOW_PRIVATE_TARGETS', { infer: true });
    const host = hostOf(url);
    try {
      await checkedAddresses(this.resolver, host, allowPrivate);
    } catch (error) {
      if (!(error instanceof ForbiddenTargetError)) throw error;
      // The category only: the error's own message names what the host resolved to.
      throw urlRefused(
        error.refusal === 'unresolved'
          ? 'is refused: its host does not resolve'
          : `is refused: its host ${isIP(host) ? 'is' : 'resolves to'} a private or reserved address`,
      );
    }
  }
}
