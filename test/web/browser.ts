/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser is ever downloaded), with every console error, uncaught exception
 * and failed request of a page collected so a test can require there were none.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install chromium`; .ci/run does it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, for their skip message; undefined when they can. */
export const NO_BROWSER = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run does when it is missing)`;

/** Starts the browser. */
export async function launchBrowser(): Promise<Browser> {
  if (NO_BROWSER !== undefined) throw new Error(NO_BROWSER);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Screen sizes the dashboard is checked at. */
export const LAPTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** A page and the problems seen on it. */
export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and warnings, uncaught exceptions. Tests expect it empty. */
  readonly problems: string[];
}

/**
 * A new page in a fresh context (its own sessionStorage) that records console errors and
 * warnings and uncaught exceptions. `allow` lists patterns of console messages a test expects
 * (the browser logs a refused request, say).
 */
export async function watchedPage(browser: Browser, options: { viewport?: { width: number; height: number }; allow?: readonly RegExp[] } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? LAPTOP, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = `${message.type()}: ${message.text()} (${message.location().url})`;
    if (!(options.allow ?? []).some((pattern) => pattern.test(text))) problems.push(text);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.stack ?? error.message}`));
  return { page, context, problems };
}

const RESULTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const DOCS = new URL('../../docs/screenshots/', import.meta.url).pathname;

/**
 * Saves a screenshot (of the whole page unless `fullPage` is false: a modal dialog's backdrop
 * covers only the viewport) under test-results/screenshots; with BERTH_UPDATE_SCREENSHOTS=1
 * (`npm run screenshots`) also under docs/screenshots, where the README shows them. Plain test
 * runs leave the committed images alone.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true, animations: 'disabled' });
  if (process.env.BERTH_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

/** True when the page is no wider than the viewport (nothing to scroll sideways on a phone). */
export async function fitsWidth(page: Page): Promise<boolean> {
  // A string, evaluated in the page: the test's own TypeScript has no DOM types.
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}
