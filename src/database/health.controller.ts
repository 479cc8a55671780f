import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { ProblemException } from '../common/http/problem';
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
  @ApiOperation({ summary: 'Liveness and database reachability' })
  @ApiOkResponse({ type: HealthDto })
  @ApiProblems(503)
  async check(): Promise<HealthDto> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
      return { status: 'ok', database: 'up' };
    } catch {
      throw new ProblemException(503, 'database-unavailable', 'The database is not answering.', { database: 'down' });
    }
  }
}
