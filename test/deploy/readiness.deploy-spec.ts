import { assertProblem } from '../support/factories';
import { eventually } from '../support/eventually';
import { describeWithPostgres, useServiceOnPostgres } from '../support/service';

/**
 * /health/ready against /health/live while the database is away: a load balancer takes the
 * instance out, the process manager leaves it running. (Draining after SIGTERM and Redis lost are
 * in instances.deploy-spec.ts.) A private PostgreSQL, which the test stops and starts.
 */
describeWithPostgres('deploy: readiness')('readiness while the database is unreachable', () => {
  const s = useServiceOnPostgres();

  it('fails /health/ready (not /health/live) while the database is down, and is ready again once it is back', async () => {
    expect(await s.api.get('/health/ready')).toHaveStatus(200);
    expect((await s.api.get('/health/ready')).body).toEqual({
      status: 'ok',
      draining: false,
      database: 'up',
      redis: 'off',
    });
    await s.pg.stop();
    const ready = await s.api.get('/health/ready');
    assertProblem(ready, 503, '/problems/not-ready');
    expect(ready.body).toMatchObject({ database: 'down', redis: 'off', draining: false });
    expect(await s.api.get('/health/live')).toHaveStatus(200);
    await s.pg.start();
    await eventually('ready again', async () => ((await s.api.get('/health/ready')).status === 200 ? true : undefined));
  });
});
