import 'reflect-metadata';
import { Transport } from '@nestjs/microservices';
import { ConfigError, validateConfig } from '../config/configuration';
import {
  describeTarget,
  parseTransportUrl,
  transportOptions,
  transportUrlProblem,
  wirePattern,
} from '@consultant-calendar/client/wire';

describe('MICROSERVICE_URL', () => {
  it('is off, or names a transport, its address and an optional namespace', () => {
    expect(parseTransportUrl('off')).toBeNull();
    const tcp = parseTransportUrl('tcp://127.0.0.1:3001')!;
    expect(tcp).toMatchObject({ kind: 'tcp', namespace: undefined });
    expect(transportOptions(tcp)).toEqual({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 3001 } });
    expect(transportOptions(parseTransportUrl('tcp://[::1]')!)).toMatchObject({ options: { host: '::1', port: 3001 } });
    const nats = parseTransportUrl('nats://app:s%40cret@broker?namespace=blue')!;
    expect(transportOptions(nats)).toEqual({
      transport: Transport.NATS,
      options: { servers: ['broker:4222'], user: 'app', pass: 's@cret' },
    });
    expect(wirePattern(nats, 'bookings.create')).toBe('blue.bookings.create');
    expect(wirePattern(tcp, 'bookings.create')).toBe('bookings.create');
    expect(transportOptions(parseTransportUrl('rediss://:pw@cache:6380/2')!)).toEqual({
      transport: Transport.REDIS,
      options: { host: 'cache', port: 6380, password: 'pw', db: 2, tls: {} },
    });
    const rmq = parseTransportUrl('amqp://guest:guest@mq/vhost?heartbeat=10&namespace=ci-1')!;
    expect(transportOptions(rmq)).toMatchObject({
      transport: Transport.RMQ,
      options: { urls: ['amqp://guest:guest@mq/vhost?heartbeat=10'], queue: 'ci-1.consultant-calendar' },
    });
  });

  it('is refused, saying why, when it cannot be used', () => {
    expect(transportUrlProblem('tcp://127.0.0.1:3001')).toBeUndefined();
    expect(transportUrlProblem('on')).toMatch(/^must be off, or a tcp:\/\//);
    expect(transportUrlProblem('http://localhost:3001')).toMatch(/^must be off/);
    expect(transportUrlProblem(undefined)).toMatch(/^must be off/);
    expect(transportUrlProblem('tcp://:3001')).toMatch(/^must be off/);
    expect(transportUrlProblem('tcp://127.0.0.1:3001/x')).toBe('must be tcp://host:port, with nothing else');
    expect(transportUrlProblem('nats://broker?namespace=a.b')).toMatch(/namespace/);
    expect(transportUrlProblem('redis://cache?db=2')).toBe('has an unknown option db');
    expect(transportUrlProblem('redis://cache/two')).toBe('has a Redis database that is not a number');
  });

  it('stops start-up in one line naming it, as INTERNAL_TOKEN does when short', () => {
    expect(validateConfig({}).MICROSERVICE_URL).toBe('tcp://127.0.0.1:3001');
    expect(validateConfig({ MICROSERVICE_URL: 'off' }).MICROSERVICE_URL).toBe('off');
    expect(() => validateConfig({ MICROSERVICE_URL: 'ftp://x' })).toThrow(
      new ConfigError(
        'Invalid configuration: MICROSERVICE_URL="ftp://x": MICROSERVICE_URL must be off, or a tcp://, tls://, nats://, redis://, rediss://, amqp:// or amqps:// URL',
      ),
    );
    expect(() => validateConfig({ INTERNAL_TOKEN: 'short' })).toThrow(
      'Invalid configuration: INTERNAL_TOKEN="short": INTERNAL_TOKEN must be at least 32 characters',
    );
    expect(validateConfig({ INTERNAL_TOKEN: 'abcdefgh'.repeat(4) }).INTERNAL_TOKEN).toHaveLength(32);
  });

  it('is logged without its password', () => {
    expect(describeTarget(parseTransportUrl('amqp://guest:secret@mq:5672?namespace=x')!)).toBe(
      'amqp://guest:***@mq:5672?namespace=x',
    );
  });
});
