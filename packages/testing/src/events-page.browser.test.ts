// The live events page in a real browser: Debian's chromium driven by playwright-core.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cohorly, Consumer } from '@cohorly/core';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(
  new URL('../../../.test-results/events-page.png', import.meta.url),
);
// Generous: a 2-core machine shared with other builds, and a browser cold start.
const BROWSER_TIMEOUT_MS = 60_000;
const UI_TIMEOUT_MS = 10_000;

let context: BrowserContext | undefined;
let launchError: Error | undefined;
let userDataDir: string;
let server: TestServer;
let now: number;
let page: Page;
let problems: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    // Every test fails with this (see beforeEach): a missing browser must never read as a skip.
    launchError = new Error(
      `Chromium is not installed at ${CHROMIUM}; the events page tests need it. ` +
        'Install it with `apt-get install chromium` (Debian/Ubuntu); never `playwright install`.',
    );
    return;
  }
  userDataDir = mkdtempSync(join(tmpdir(), 'cohorly-events-page-'));
  context = await launch(userDataDir).catch((error: unknown) => {
    launchError = new Error(`Chromium at ${CHROMIUM} did not start: ${String(error)}`);
    return undefined;
  });
}, BROWSER_TIMEOUT_MS);

/** Debian's chromium, headless, with a fresh profile, nothing reaching out to the network. */
function launch(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
    timezoneId: 'UTC',
    locale: 'en-US',
    colorScheme: 'light',
  });
}

afterAll(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
}, BROWSER_TIMEOUT_MS);

beforeEach(async () => {
  if (launchError !== undefined || context === undefined) {
    throw launchError ?? new Error('the browser did not start');
  }
  now = Date.now();
  // The server clock stamps receivedAt, which places events in the chart: tests move it back
  // to spread events over the last minutes, and leave it at the wall clock otherwise.
  server = await startTestServer({ clock: () => now });
  page = await context.newPage();
  problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  // Offline by construction: the page asks its own server for everything.
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${server.url}/`) && !url.startsWith('data:')) {
      problems.push(`request outside the server: ${url}`);
    }
  });
});

afterEach(async () => {
  await page?.close();
  await server?.close();
  expect(problems ?? []).toEqual([]);
});

/** A client as an application would have one: events are delivered when track() resolves. */
function client(): Cohorly {
  return new Cohorly('project-token-secret', { consumer: new Consumer({ apiHost: server.url }) });
}

async function open(path = '/'): Promise<void> {
  await page.goto(server.url + path);
  await page.locator('#status.live').waitFor({ timeout: UI_TIMEOUT_MS });
}

const rows = () => page.locator('#events tbody.event');
const row = (text: string) => rows().filter({ hasText: text });

/** Waits until exactly `count` rows are shown (bounded by the UI timeout). */
async function expectRowCount(count: number): Promise<void> {
  await page
    .waitForFunction(
      (expected) => document.querySelectorAll('#events tbody.event').length === expected,
      count,
      { timeout: UI_TIMEOUT_MS },
    )
    .catch(async () => {
      throw new Error(`expected ${count} rows, saw ${await rows().count()}`);
    });
}

async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((text) => text.trim());
}

describe('the live events page', () => {
  it(
    'shows the events already stored, newest first, with library, name, id and properties',
    async () => {
      const cohorly = client();
      await cohorly.track('user-1', 'Signed Up', { plan: 'pro', seats: 3 });
      await cohorly.track('user-2', 'Page Viewed', { path: '/pricing' });
      await open();
      await expectRowCount(2);
      expect(await texts(page.locator('#events .pill'))).toEqual(['Page Viewed', 'Signed Up']);
      const first = row('Signed Up');
      expect(await first.locator('td.col-lib').textContent()).toMatch(/^node\s*\d+\.\d+\.\d+/);
      expect(await first.locator('td.col-id').textContent()).toBe('user-1');
      expect(await first.locator('.toggle').textContent()).toBe('7 properties');
      expect(await first.locator('.preview').textContent()).toBe('plan: "pro", seats: 3');
      expect(await first.locator('td.col-time time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(await page.locator('#count-total').textContent()).toBe('2');
      expect(await page.locator('#server-url').textContent()).toBe(server.url);
      // The project token never reaches the page.
      expect(await page.content()).not.toContain('project-token-secret');
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'shows an event sent after the page loaded within a second',
    async () => {
      const cohorly = client();
      await cohorly.track('user-1', 'Signed Up');
      await open();
      await expectRowCount(1);
      await cohorly.track('user-7', 'Checkout Completed', { total: 49.5 });
      await row('Checkout Completed').waitFor({ timeout: 1000 });
      expect(await texts(page.locator('#events .pill'))).toEqual([
        'Checkout Completed',
        'Signed Up',
      ]);
      expect(await page.locator('#count-total').textContent()).toBe('2');
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'filters by event name and by distinct id, and keeps the filters in the address',
    async () => {
      const cohorly = client();
      await cohorly.track('alice', 'Signed Up');
      await cohorly.track('alice', 'Page Viewed');
      await cohorly.track('bob', 'Page Viewed');
      await open();
      await expectRowCount(3);

      await page.locator('#filter-event').fill('page view');
      await expectRowCount(2);
      expect(await texts(page.locator('#events td.col-id'))).toEqual(['bob', 'alice']);
      await page.locator('#filter-distinct-id').fill('ali');
      await expectRowCount(1);
      expect(await texts(page.locator('#events .pill'))).toEqual(['Page Viewed']);
      expect(await page.locator('#count-shown').textContent()).toBe('1');
      expect(new URL(page.url()).search).toBe('?event=page+view&distinct_id=ali');

      // A live event that does not match stays hidden; one that does appears.
      await cohorly.track('bob', 'Page Viewed');
      await cohorly.track('alice', 'Page Viewed', { second: true });
      await row('second').waitFor({ timeout: UI_TIMEOUT_MS });
      await expectRowCount(2);

      await page.locator('#clear-filters').click();
      await expectRowCount(5);
      // Clicking a distinct id filters by it.
      await row('Signed Up').locator('td.col-id button').click();
      expect(await page.locator('#filter-distinct-id').inputValue()).toBe('alice');
      await expectRowCount(3);

      // Reloading keeps the filter.
      await open('/?event=Signed');
      await expectRowCount(1);
      expect(await page.locator('#filter-event').inputValue()).toBe('Signed');
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'expands properties, showing arbitrary text as text and never running it',
    async () => {
      const cohorly = client();
      const name = '<img src=x onerror="window.__pwned=1">';
      const id = '"><svg onload=window.__pwned=2>';
      await cohorly.track(id, name, {
        note: '<script>window.__pwned=3</script>',
        nested: { html: '<b>bold</b>', list: [1, 2] },
      });
      await open();
      await expectRowCount(1);
      const event = row('onerror');
      expect(await event.locator('.pill').textContent()).toBe(name);
      expect(await event.locator('td.col-id').textContent()).toBe(id);
      await expect(event.locator('tr.details').count()).resolves.toBe(0);

      await event.locator('.toggle').click();
      const details = event.locator('tr.details');
      await details.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await event.locator('.toggle').getAttribute('aria-expanded')).toBe('true');
      const entries = await details.locator('dt').allTextContents();
      expect(entries.slice(0, 2)).toEqual(['note', 'nested']);
      expect(entries).toContain('$insert_id');
      expect(entries).not.toContain('token');
      expect(await details.locator('dd pre').first().textContent()).toBe(
        '"<script>window.__pwned=3</script>"',
      );
      expect(await details.locator('dd pre').nth(1).textContent()).toBe(
        JSON.stringify({ html: '<b>bold</b>', list: [1, 2] }, null, 2),
      );
      expect(
        await page.locator('#events img, #events svg, #events script, #events b').count(),
      ).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

      // Expanded rows stay expanded when new events arrive, and collapse on a second click.
      await cohorly.track('user-2', 'Later');
      await row('Later').waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await details.count()).toBe(1);
      await event.locator('.toggle').click();
      await details.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'empties its table when the server is reset',
    async () => {
      await client().track('user-1', 'Signed Up');
      await open();
      await expectRowCount(1);
      server.reset();
      await expectRowCount(0);
      await page.locator('#empty-title', { hasText: 'No events yet' }).waitFor();
      expect(await page.locator('#count-total').textContent()).toBe('0');
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'charts events per minute by name, with a legend, and looks right (screenshot)',
    async () => {
      const cohorly = client();
      const start = now;
      // Twenty minutes of made-up traffic, sent with the server clock moved back to match.
      const names = ['Page Viewed', 'Signed Up', 'Checkout Started', 'Checkout Completed'];
      for (let minute = 20; minute >= 1; minute -= 1) {
        const count = 1 + ((minute * 7) % 5);
        for (let i = 0; i < count; i += 1) {
          now = start - minute * 60_000 + i * 7_000;
          const name = names[(minute + i) % (i === 0 ? 1 : names.length)] as string;
          await cohorly.importData(`user-${(minute * 3 + i) % 9}`, name, now, {
            plan: i % 2 === 0 ? 'pro' : 'free',
            path: `/docs/${minute}`,
          });
        }
      }
      now = start;
      await cohorly.track('user-3', 'Invite Sent', { invitee: 'dana@example.com', role: 'admin' });
      await open();
      await expectRowCount(server.events().length);

      const legend = await texts(page.locator('#legend li .name'));
      expect(new Set(legend)).toEqual(new Set([...names, 'Invite Sent']));
      for (const name of [...names, 'Invite Sent']) {
        expect(await page.locator(`#chart rect.bar[data-event="${name}"]`).count()).toBeGreaterThan(
          0,
        );
      }
      expect(await page.locator('#chart-empty').isHidden()).toBe(true);
      // Filtering narrows the chart to the matching names.
      await page.locator('#filter-event').fill('checkout');
      await page.locator('#legend li').nth(1).waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await texts(page.locator('#legend li .name'))).toHaveLength(2);
      expect(await page.locator('#chart rect.bar[data-event="Page Viewed"]').count()).toBe(0);
      await page.locator('#clear-filters').click();
      await page.locator('#legend li').nth(4).waitFor({ timeout: UI_TIMEOUT_MS });

      await rows().nth(0).locator('.toggle').click();
      await rows().nth(0).locator('tr.details').waitFor({ timeout: UI_TIMEOUT_MS });
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
      expect(existsSync(SCREENSHOT)).toBe(true);
    },
    BROWSER_TIMEOUT_MS,
  );
});
