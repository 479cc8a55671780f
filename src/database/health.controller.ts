import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { DomainError } from '../common/errors';
import { HealthDto } from './health.dto';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @SkipThrottle()
  @ApiOperation({ operationId: 'checkHealth', summary: 'Liveness and database reachability' })
  @ApiOkResponse({ description: 'The process is up and the database answers', type: HealthDto })
  @ApiProblems('database-unavailable')
  async check(): Promise<HealthDto> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
      return { status: 'ok', database: 'up' };
    } catch {
      throw new DomainError('database-unavailable', undefined, { database: 'down' });
    }
  }
}
