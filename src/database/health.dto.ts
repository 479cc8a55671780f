export class HealthDto {
  /** Always ok when answered with 200. @example "ok" */
  status: 'ok';
  /** The database answered a query within 1.5 s. @example "up" */
  database: 'up';
}

export class LiveDto {
  /** Always ok: the process answered. @example "ok" */
  status: 'ok';
}

export class ReadyDto {
  /** Always ok when answered with 200. @example "ok" */
  status: 'ok';
  /** Whether the instance is draining after SIGTERM (a 503 then says true). @example false */
  draining: boolean;
  /** The database answered a query within 1.5 s (a 503 may say down). @example "up" */
  database: 'up' | 'down';
  /** `off` without REDIS_URL. @example "off" */
  redis: 'up' | 'down' | 'off';
}
