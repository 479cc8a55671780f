import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { promisify } from 'node:util';
import { createConsultant, createUser } from '../support/factories';
import { Http } from '../support/http';
import { removeTempDir, tempDir } from '../support/service';
import { startTestApp, type TestApp } from '../support/test-app';

const root = join(__dirname, '..', '..');
const INTERNAL_TOKEN = 'cc_i_client-package-token-0123456789abcdef';
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const version = (name: string) => rootManifest.dependencies[name] ?? rootManifest.devDependencies[name];

/**
 * The sibling service's code: it books over TCP with CalendarClient and over HTTP with the
 * openapi-fetch client, both typed from the package alone, under `strict: true`.
 */
const SIBLING = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import {
  type BookingDto,
  CalendarClient,
  CalendarClientError,
  CalendarClientModule,
  calendarHttpClient,
} from '@consultant-calendar/client';

@Module({
  imports: [CalendarClientModule.register({ url: process.env.CALENDAR_URL!, token: process.env.CALENDAR_TOKEN! })],
})
class SiblingModule {}

async function main(): Promise<void> {
  const consultantId = Number(process.env.CONSULTANT_ID);
  const user = { role: 'user' as const, id: Number(process.env.USER_ID) };
  const app = await NestFactory.createApplicationContext(SiblingModule, { logger: false });
  const calendar = app.get(CalendarClient);
  const day = { consultant_id: consultantId, start: '2031-03-03', end: '2031-03-03', slot_minutes: 30 };
  const [first, second] = (await calendar.freeTime(day)).slots;
  const target = { consultant_id: consultantId, start: first.start, end: first.end };
  const overTcp: BookingDto = await calendar.createBooking(user, target, randomUUID());
  let refusal = 'none';
  try {
    await calendar.createBooking(user, target, randomUUID());
  } catch (error) {
    if (!(error instanceof CalendarClientError)) throw error;
    refusal = error.type;
  }

  const http = calendarHttpClient({ baseUrl: process.env.CALENDAR_HTTP!, token: process.env.USER_TOKEN });
  const booked = await http.POST('/bookings', {
    body: { consultant_id: consultantId, start: second.start, end: second.end },
  });
  if (!booked.data) throw new Error(\`POST /bookings: \${booked.response.status}\`);
  const overHttp: BookingDto = booked.data;
  const mine = await http.GET('/bookings', { params: { query: { status: 'confirmed' } } });
  const listed = mine.data?.data.map((booking) => booking.id) ?? [];
  console.log(JSON.stringify({ overTcp: overTcp.id, refusal, overHttp: overHttp.id, status: overHttp.status, listed }));
  await app.close();
}

void main();
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'node20',
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: false,
    outDir: 'dist',
    rootDir: 'src',
    types: ['node'],
  },
  include: ['src'],
};

/** npm and its child processes, without the npm_* settings of the run that started Jest (`npm test`). */
function npm(args: string[], cwd: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  return execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The client as a sibling service installs it: `npm pack` of packages/client, installed from
 * the tarball into a new app in a temporary folder beside its own @nestjs/*, rxjs and
 * reflect-metadata (the root's versions, from the registry through npm's cache: `npm ci` at the
 * root filled it, so the run needs no network when they are there), compiled by TypeScript
 * with `strict: true` and library checks on, then run against the service.
 */
describe('the client package, installed from its tarball into a sibling app', () => {
  let t: TestApp;
  let http: Http;
  let dir: string;
  let tcpUrl: string;
  let httpUrl: string;
  let pack: { filename: string; files: { path: string }[] };

  beforeAll(async () => {
    dir = tempDir('cc-sibling-');
    t = await startTestApp({ env: { MICROSERVICE_URL: 'tcp://127.0.0.1:0', INTERNAL_TOKEN } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    http = new Http(t.app);
    const [tcp] = t.app.getMicroservices();
    tcpUrl = `tcp://127.0.0.1:${(tcp.unwrap<NetServer>().address() as AddressInfo).port}`;
    httpUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    // As built by `npm test` (its prepack would build it again under the other test files' feet).
    [pack] = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], join(root, 'packages', 'client')),
    );
  });
  afterAll(async () => {
    await t?.close();
    if (dir) removeTempDir(dir);
  });

  it('packs to a tarball that holds the built JavaScript and its .d.ts', () => {
    const files = pack.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/openapi.d.ts']),
    );
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
    expect(existsSync(join(dir, pack.filename))).toBe(true);
  });

  it('installs beside the sibling’s own Nest, compiles under strict: true, and books over TCP and HTTP', async () => {
    const app = join(dir, 'sibling');
    const tarball = join(dir, pack.filename);
    mkdirSync(join(app, 'src'), { recursive: true });
    const pinned = (names: string[]) => Object.fromEntries(names.map((name) => [name, version(name)]));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'sibling',
        private: true,
        dependencies: {
          '@consultant-calendar/client': `file:${tarball}`,
          ...pinned(['@nestjs/common', '@nestjs/core', '@nestjs/microservices', 'rxjs', 'reflect-metadata']),
        },
        devDependencies: pinned(['@types/node']),
      }),
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(app, 'src', 'main.ts'), SIBLING);
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);

    // A copy, not a link to this checkout, resolving Nest from the sibling's own node_modules.
    const installed = join(app, 'node_modules', '@consultant-calendar', 'client');
    expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
    expect(require.resolve('@nestjs/common', { paths: [installed] })).toBe(
      require.resolve('@nestjs/common', { paths: [app] }),
    );
    expect(require.resolve('@nestjs/common', { paths: [app] }).startsWith(app)).toBe(true);

    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], {
      encoding: 'utf8',
    });

    const consultant = await createConsultant(http);
    const user = await createUser(http);
    const rule = await http
      .as(consultant.token)
      .post(`/consultants/${consultant.id}/recurring`, { day: 'Mon', start_time: '09:00', end_time: '12:00' });
    expect(rule).toHaveStatus(201);
    // Not execFileSync: the service answering it runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, [join(app, 'dist', 'main.js')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CALENDAR_URL: tcpUrl,
        CALENDAR_TOKEN: INTERNAL_TOKEN,
        CALENDAR_HTTP: httpUrl,
        CONSULTANT_ID: String(consultant.id),
        USER_ID: String(user.id),
        USER_TOKEN: user.token,
      },
    });
    const result = JSON.parse(stdout) as {
      overTcp: number;
      refusal: string;
      overHttp: number;
      status: string;
      listed: number[];
    };
    expect(result).toEqual({
      overTcp: expect.any(Number),
      refusal: '/problems/time-taken',
      overHttp: expect.any(Number),
      status: 'confirmed',
      listed: [result.overTcp, result.overHttp],
    });
    const booked = await http.as(user.token).get('/bookings');
    expect(booked.body.data.map((b: { id: number }) => b.id)).toEqual([result.overTcp, result.overHttp]);
  });
});
