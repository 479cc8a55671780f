import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { warnSkipping } from '../support/postgres-server';
import type { ServerProcess } from '../support/server-process';
import { ADMIN_TOKEN, createConsultant, createSlot, createUser, type Created } from '../support/factories';
import { Api, killService, startService } from '../support/service';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Kept for a person to look at (gitignored): the repository's test-artifacts/ (this file is in test/faults/). */
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/**
 * The little of playwright-core's API this suite uses, typed here so that the project still
 * type-checks where the optional package is not installed.
 */
interface Locator {
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  innerText(): Promise<string>;
  inputValue(): Promise<string>;
  getAttribute(name: string): Promise<string | null>;
  scrollIntoViewIfNeeded(): Promise<void>;
  locator(selector: string): Locator;
  filter(options: { has: Locator }): Locator;
  first(): Locator;
}
interface Page {
  goto(url: string, options?: { waitUntil?: 'load' }): Promise<unknown>;
  locator(selector: string): Locator;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  on(event: 'pageerror', listener: (error: Error) => void): unknown;
}
interface Browser {
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
}

/** playwright-core, when installed; it is an optional devDependency of this suite. */
function loadPlaywright(): Playwright | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('playwright-core') as Playwright;
  } catch {
    return undefined;
  }
}

const playwright = loadPlaywright();
const missing = [
  !existsSync(CHROMIUM) && `${CHROMIUM} (apt-get install chromium)`,
  !playwright && 'the playwright-core package (npm i -D playwright-core)',
].filter(Boolean);
const skip = missing.length ? `needs ${missing.join(' and ')}` : undefined;
if (skip) warnSkipping('Swagger UI in a browser', skip);
// Skipped loudly, and counted: the tally shows skipped tests rather than nothing at all.
const describeWithBrowser = skip ? describe.skip : describe;

/**
 * Swagger UI as a person uses it, in Debian's Chromium driven headless: open /docs, authorize
 * with a user's bearer token in the Authorize dialog, "Try it out" on POST /bookings with a
 * valid body, Execute, and see the 201. The screenshot stays in test-artifacts/.
 */
describeWithBrowser('Swagger UI in a real browser', () => {
  let server: ServerProcess;
  let api: Api;
  let user: Created;
  let consultant: Created;
  let slotId: number;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const screenshot = async (name: string) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
  };
  /** The POST /bookings operation block of the page. */
  const bookingOp = () =>
    page
      .locator('.opblock-post')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/bookings"]') })
      .first();
  /**
   * Puts `body` in the open Try-it-out editor (or leaves the document's default example there),
   * executes, and returns the status and body Swagger UI shows.
   */
  async function execute(body?: unknown): Promise<{ status: string; shown: string }> {
    const op = bookingOp();
    if (body !== undefined) await op.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await op.locator('button.execute').click();
    const live = op.locator('.live-responses-table .response');
    await live.first().waitFor({ timeout: 15_000 });
    await op
      .locator('.loading-container')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    const status = (await live.locator('.response-col_status').first().innerText()).trim();
    const shown = await op
      .locator(
        '.live-responses-table .response-col_description pre, .live-responses-table .response-col_description code',
      )
      .first()
      .innerText();
    await live.first().scrollIntoViewIfNeeded();
    return { status, shown };
  }

  beforeAll(async () => {
    server = await startService({ DATA_DIR: 'memory://', DATABASE_URL: '' });
    api = new Api(server.url);
    consultant = await createConsultant(api);
    user = await createUser(api);
    slotId = (await createSlot(api, consultant, '2031-06-02', '10:00', '11:00')).id;
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (server) await killService(server);
  });

  it('authorizes with a bearer token, books through "Try it out" with the default example, and shows the 201', async () => {
    try {
      await page.goto(`${server.url}/docs`, { waitUntil: 'load' });
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15_000 });
      expect(await page.locator('.swagger-ui .info .title').innerText()).toMatch(/Consultant Calendar/);

      // The Authorize dialog: the bearer scheme's value field, Authorize, Close.
      await page.locator('.scheme-container button.authorize').click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      await dialog.waitFor();
      await dialog.locator('input[aria-label="auth-bearer-value"]').fill(user.token);
      await dialog.locator('button.modal-btn.auth.authorize').click();
      await dialog.locator('button.btn-done').click();
      await dialog.waitFor({ state: 'detached' });
      // The padlock shows as locked.
      expect((await page.locator('.scheme-container button.authorize').getAttribute('class')) ?? '').toMatch(/locked/);

      // POST /bookings: expand, Try it out, Execute with the body Swagger UI fills in: the
      // document's default example, which books slot 1 (the first slot of a new database: this one).
      const op = bookingOp();
      await op.locator('.opblock-summary').first().click();
      await op.locator('button.try-out__btn').click();
      expect(JSON.parse(await op.locator('textarea.body-param__text').inputValue())).toEqual({
        availability_id: slotId,
      });
      const { status, shown } = await execute();
      await screenshot('swagger-ui-booking.png');

      // The status the UI shows, with what it shows beside it on a failure.
      expect({ status, shown }).toEqual({ status: '201', shown: expect.any(String) });
      const booking = JSON.parse(shown) as { id: number; user_id: number; availability_id: number; status: string };
      // Booked as the authorized user.
      expect(booking.user_id).toBe(user.id);
      expect(booking.availability_id).toBe(slotId);
      expect(booking.status).toBe('confirmed');
      // The curl Swagger shows carries the token, and the booking is really there.
      expect(await op.locator('.curl-command, .curl').first().innerText()).toMatch(
        new RegExp(`Authorization: Bearer ${user.token}`),
      );
      const stored = await api.as(ADMIN_TOKEN).get(`/bookings/${booking.id}`);
      expect(stored).toHaveStatus(200);
      // No script errors on the page.
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await screenshot('swagger-ui-failure.png').catch(() => undefined);
      throw error;
    }
  });

  // Regression: Swagger UI used to pre-fill the Idempotency-Key example, so a second booking from the page was a 422.
  it('a second booking from "Try it out", for another slot, is a new booking', async () => {
    const second = (await createSlot(api, consultant, '2031-06-03', '10:00', '11:00')).id;
    const { status, shown } = await execute({ availability_id: second });
    await screenshot('swagger-ui-second-booking.png');
    console.log(`# second booking from Swagger UI: ${status} ${shown.replace(/\s+/g, ' ').slice(0, 160)}`);
    expect({ status, shown }).toEqual({ status: '201', shown: expect.any(String) });
  });
});
