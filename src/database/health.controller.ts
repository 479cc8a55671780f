import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { DomainError } from '../common/errors';
import { Readiness } from '../operations/readiness';
import { SharedRedis } from '../operations/shared-redis';
import { HealthDto, LiveDto, ReadyDto } from './health.dto';

@ApiTags('operations')
@Controller('health')
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly readiness: Readiness,
    private readonly redis: SharedRedis,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'checkHealth', summary: 'Liveness and database reachability' })
  @ApiOkResponse({ description: 'The process is up and the database answers', type: HealthDto })
  @ApiProblems('database-unavailable')
  async check(): Promise<HealthDto> {
    if (!(await this.databaseUp())) throw new DomainError('database-unavailable', undefined, { database: 'down' });
    return { status: 'ok', database: 'up' };
  }

  /** For a process manager or orchestrator: restart the process only when this fails. */
  @Get('live')
  @ApiOperation({ operationId: 'checkLiveness', summary: 'Liveness: the process answers (nothing else is checked)' })
  @ApiOkResponse({ description: 'The process runs', type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /**
   * For a load balancer: send traffic here only while this answers 200. It fails while the
   * instance drains after SIGTERM, while the database is unreachable and, with REDIS_URL, while
   * Redis is; a slow or failed answer must take the instance out, never kill it.
   */
  @Get('ready')
  @ApiOperation({
    operationId: 'checkReadiness',
    summary: 'Readiness: not draining, database and (with REDIS_URL) Redis reachable',
  })
  @ApiOkResponse({ description: 'The instance takes traffic', type: ReadyDto })
  @ApiProblems('not-ready')
  async ready(): Promise<ReadyDto> {
    const [database, redis] = await Promise.all([this.databaseUp(), this.redis.reachable()]);
    const checks = {
      draining: this.readiness.draining,
      database: database ? ('up' as const) : ('down' as const),
      redis: this.redis.client ? (redis ? ('up' as const) : ('down' as const)) : ('off' as const),
    };
    if (checks.draining || !database || !redis) throw new DomainError('not-ready', undefined, checks);
    return { status: 'ok', ...checks };
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
      return true;
    } catch {
      return false;
    }
  }
}
