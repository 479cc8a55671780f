export class HealthDto {
  /** Always ok when answered with 200. @example "ok" */
  status: 'ok';
  /** The database answered a query within 1.5 s. @example "up" */
  database: 'up';
}
