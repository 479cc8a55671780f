export class HealthDto {
  /** @example "ok" */
  status: 'ok';
  /** @example "up" */
  database: 'up';
}

export class LiveDto {
  /** @example "ok" */
  status: 'ok';
}

export class ReadyDto {
  /** @example "ok" */
  status: 'ok';
  /** Whether the instance is draining after SIGTERM (a 503 then says true). @example false */
  draining: boolean;
  /** @example "up" */
  database: 'up' | 'down';
  /** `off` without REDIS_URL. @example "off" */
  redis: 'up' | 'down' | 'off';
}
