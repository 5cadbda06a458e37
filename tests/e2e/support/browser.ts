// Debian's Chromium driven by playwright-core: one fresh profile (user data dir) per browser, so
// every person in a test has their own cookies; screenshots of the pages under
// tests/e2e/screenshots/ (git-ignored).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../../infra/scripts/services.ts';
import { stack } from './stack.ts';

export const SCREENSHOT_DIR = join(ROOT, 'tests', 'e2e', 'screenshots');

/** A quiet, headless Chromium: no GPU, no sandbox (containers), no calls home, no first-run UI. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Script and style requests that failed, per browser: a page without its scripts never hydrates. */
const failedAssetsOf = new WeakMap<BrowserContext, string[]>();

/** Waits for actions and navigations: generous for a loaded machine, short enough to fail a hang. */
const ACTION_TIMEOUT_MS = 30_000;

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions of the pages (hydration failures, crashes in event handlers). */
  pageErrors: Error[];
  close(): Promise<void>;
}

/** A new Chromium with a fresh user data dir, one tab open (1280×800 unless told). */
export async function openBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'trellis-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: stack.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const pageErrors: Error[] = [];
  const failedAssets: string[] = [];
  failedAssetsOf.set(context, failedAssets);
  context.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname.startsWith('/assets/')) failedAssets.push(`${response.status()} ${response.url()}`);
  });
  const watch = (page: Page) => {
    page.on('pageerror', (error) => pageErrors.push(error));
    // A script, style or request the Content-Security-Policy (web/server.ts) blocked is a broken
    // page too: Chromium reports each one as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(new Error(message.text()));
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until React has hydrated the server-rendered page: before that, buttons that only work
 * with JavaScript (dialogs, menus) ignore clicks. React marks the elements it has hydrated.
 */
export async function waitForHydration(page: Page): Promise<void> {
  try {
    await page.waitForFunction(() => Object.keys(document.body).some((key) => key.startsWith('__reactProps$')));
  } catch (error) {
    const failed = failedAssetsOf.get(page.context()) ?? [];
    if (!failed.length) throw error;
    // The usual cause: web/build/ was rebuilt while this run's stack was serving it.
    throw new Error(`${page.url()} never hydrated; its scripts failed to load (was web/build/ rebuilt during the run?):\n${failed.join('\n')}`, { cause: error });
  }
}

/** Opens a path of the web app and waits for the page to be interactive. */
export async function visit(page: Page, path: string): Promise<void> {
  await page.goto(stack.url(path));
  await waitForHydration(page);
}

/** Saves a full-page screenshot as tests/e2e/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The path of the page's URL ("/t/team_1/runs"). */
export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}
