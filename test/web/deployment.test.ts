/**
 * The dashboard's deployment view end to end, in headless Chromium against a real Berth server:
 * three trained versions of iris; a split refused by the server (weights not summing to 100) with
 * its message in the dialog, then a 50/50 split with a sticky header and a shadow, each confirmed
 * in the browser; real traffic; each version's figures side by side and the shadow's comparison
 * as the server computes them; then the shadow and the split removed, asking first. Screenshots
 * are taken on the way (see browser.ts for where they go).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_BROWSER, PHONE, fitsWidth, launchBrowser, screenshot, watchedPage } from './browser.js';
import { type DashboardServer, startDashboardServer } from './dashboard-server.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const TRAINING_TIMEOUT_MS = 120_000;

/** Windows and comparisons written within 200 ms, so the figures follow the traffic quickly. */
const MONITOR = { flushIntervalMs: 200 };

let browser: Browser;
let server: DashboardServer;

async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.apiUrl}${path}`, init);
  const text = await response.text();
  expect(response.ok, `${path}: ${response.status} ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

/** Trains iris through the training API and registers the result as the next version. */
async function trainVersion(algorithm: string, seed: number, alias?: string): Promise<number> {
  const form = new FormData();
  form.append('target', 'species');
  form.append('algorithm', algorithm);
  form.append('seed', String(seed));
  form.append('file', new Blob([readFileSync(`${DATASETS}iris.csv`)]), 'iris.csv');
  const job = await apiJson<{ id: string }>('/api/training', { method: 'POST', body: form });
  // beforeAll has no expect.poll: wait by hand.
  for (const deadline = Date.now() + TRAINING_TIMEOUT_MS; ; ) {
    const { state } = await apiJson<{ state: string }>(`/api/training/${job.id}`);
    if (state === 'succeeded') break;
    if (state === 'failed' || Date.now() > deadline) throw new Error(`training ${algorithm} ended ${state}`);
    await sleep(250);
  }
  const registered = await apiJson<{ version: { version: number }; created: boolean }>(`/api/training/${job.id}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'iris', ...(alias ? { alias } : {}) }),
  });
  expect(registered.created).toBe(true);
  return registered.version.version;
}

interface Status {
  deployment: { variants: { version: number; weight: number }[]; shadows: { version: number; sample: number }[]; sticky: { kind: string; name: string } } | null;
  versions: { version: number; role: string; requests: number; latencyMs: { p50: number | null; p99: number | null } }[] | null;
}

const deployment = () => apiJson<Status>('/api/models/iris/deployment');

beforeAll(async () => {
  if (NO_BROWSER !== undefined) return;
  [browser, server] = await Promise.all([launchBrowser(), startDashboardServer({ monitor: MONITOR })]);
  // One after the other: versions are numbered in the order they are registered.
  expect(await trainVersion('linear', 1, 'production')).toBe(1);
  expect(await trainVersion('gbdt', 1)).toBe(2);
  expect(await trainVersion('linear', 2)).toBe(3);
}, 3 * TRAINING_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.skipIf(NO_BROWSER !== undefined)(`dashboard deployment view${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`, () => {
  it('splits traffic and adds a shadow from the model page, shows each version side by side and the comparison, and removes both, asking first', async () => {
    // The server refuses the first split; the browser logs that refused request.
    const { page, context, problems } = await watchedPage(browser, { allow: [/status of 400/] });
    await page.goto(`${server.url}#/models/iris`);
    const panel = page.getByRole('region', { name: 'Deployment' });
    await panel.getByText('No deployment: version 1 (the default version) takes all traffic.').waitFor();
    const table = panel.getByRole('table', { name: /Versions of the deployment of iris/ });
    await table.getByRole('row', { name: /^v1\b/ }).getByText('default · all traffic').waitFor();

    // Weights adding up to 90: the dialog warns, the server refuses, and its message shows there.
    const split = panel.getByRole('form', { name: 'Split traffic' });
    await split.getByLabel('v1 weight %').fill('50');
    await split.getByLabel('v2 weight %').fill('40');
    await split.getByText('Total 90% (must be 100%)').waitFor();
    await split.getByRole('button', { name: 'Split traffic' }).click();
    const dialog = page.getByRole('dialog', { name: 'Split traffic' });
    await dialog.getByText('The weights add up to 90%').waitFor();
    await dialog.getByRole('button', { name: 'Split traffic' }).click();
    await dialog.getByRole('alert').getByText(/weights sum to 90, not 100/).waitFor();
    await screenshot(page, 'deployment-refused', { fullPage: false });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await deployment()).deployment).toBeNull();

    // 50/50 with a sticky header, confirmed.
    await split.getByLabel('v2 weight %').fill('50');
    await split.getByLabel('Sticky header').fill('x-user');
    await split.getByRole('button', { name: 'Split traffic' }).click();
    await dialog.getByText(/50\.0%|50%/).first().waitFor();
    await dialog.getByRole('button', { name: 'Split traffic' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await deployment()).deployment).toMatchObject({
      variants: [
        { version: 2, weight: 50 },
        { version: 1, weight: 50 },
      ],
      shadows: [],
      sticky: { kind: 'header', name: 'x-user' },
    });

    // Version 3 as a shadow of every request, confirmed.
    const shadowForm = panel.getByRole('form', { name: 'Add a shadow' });
    await shadowForm.getByLabel('Shadow version').selectOption('3');
    await shadowForm.getByRole('button', { name: 'Add shadow' }).click();
    const addShadow = page.getByRole('dialog', { name: 'Add shadow v3' });
    await addShadow.getByRole('button', { name: 'Add shadow v3' }).click();
    await addShadow.waitFor({ state: 'hidden' });
    expect((await deployment()).deployment?.shadows).toEqual([{ version: 3, sample: 1 }]);
    await panel.getByText('Sticky key: header').waitFor();

    // Real traffic, each request with its own user key: both variants answer, the shadow sees copies.
    const rows = readFileSync(`${DATASETS}iris.csv`, 'utf8').trim().split(/\r?\n/).slice(1);
    for (let i = 0; i < 60; i++) {
      const [a, b, c, d] = rows[(i * 7) % rows.length]!.split(',').map(Number);
      const response = await fetch(`${server.apiUrl}/api/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': `user-${i}` },
        body: JSON.stringify({ records: [{ sepal_length_cm: a, sepal_width_cm: b, petal_length_cm: c, petal_width_cm: d }] }),
      });
      expect(response.status).toBe(200);
      expect(['1', '2']).toContain(response.headers.get('x-berth-model-version'));
    }
    await expect
      .poll(
        async () => {
          const figures = (await deployment()).versions ?? [];
          return figures.map((v) => [v.version, v.role, v.requests > 0]);
        },
        { timeout: 20_000 },
      )
      .toEqual([
        [2, 'variant', true],
        [1, 'variant', true],
        [3, 'shadow', true],
      ]);
    const served = (await deployment()).versions!;
    expect(served[0]!.requests + served[1]!.requests).toBe(60);
    // Every version has its latency percentiles, the shadow's from the copies it ran.
    for (const v of served) expect(v.latencyMs.p99, JSON.stringify(served)).toBeGreaterThan(0);
    const comparison = await apiJson<{ requests: number; agreement: { labels: number; rate: number } | null }>('/api/models/iris/shadows/3/comparison?from=5m');
    expect(comparison.agreement?.labels).toBeGreaterThan(0);

    // The page draws what the server computed: each variant's row, the shadow's, its comparison.
    for (const [version, role] of [
      ['v2', 'variant · 50.0%'],
      ['v1', 'variant · 50.0%'],
      ['v3', 'shadow · 100% copied'],
    ] as const) {
      const row = table.getByRole('row', { name: new RegExp(`^${version}\\b`) });
      await row.getByText(role).waitFor();
      await row.locator('.badge', { hasText: /drifted/ }).waitFor();
      // p50 and p99 as the server computed them.
      await expect.poll(() => row.getByText(/^\d[\d.,]* ms$/).count(), { timeout: 15_000 }).toBe(2);
    }
    const view = panel.getByRole('region', { name: 'Shadow v3 against the answers' });
    await view.getByText(/% agree$/).waitFor();
    await view.getByText(`${(comparison.agreement!.rate * 100).toFixed(comparison.agreement!.rate === 1 || comparison.agreement!.rate === 0 ? 0 : 1)}% of`).waitFor();
    await screenshot(page, 'deployment');

    // Removing the shadow asks first; the dialog is photographed, then confirmed.
    await table.getByRole('row', { name: /^v3\b/ }).getByRole('button', { name: 'Remove' }).click();
    const removeShadow = page.getByRole('dialog', { name: 'Remove shadow v3' });
    await removeShadow.waitFor();
    await screenshot(page, 'deployment-confirm', { fullPage: false });
    await removeShadow.getByRole('button', { name: 'Remove shadow v3' }).click();
    await removeShadow.waitFor({ state: 'hidden' });
    expect((await deployment()).deployment).toMatchObject({ shadows: [], variants: [{ version: 2 }, { version: 1 }] });
    await view.waitFor({ state: 'hidden' });

    // Removing the split: nothing is left, so the deployment is cleared and version 1 takes all.
    await split.getByRole('button', { name: 'Remove the split' }).click();
    const clear = page.getByRole('dialog', { name: 'Remove the split' });
    await clear.getByRole('button', { name: 'Remove the split' }).click();
    await clear.waitFor({ state: 'hidden' });
    expect((await deployment()).deployment).toBeNull();
    await panel.getByText('No deployment: version 1 (the default version) takes all traffic.').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('is readable on a phone', async () => {
    const { page, context, problems } = await watchedPage(browser, { viewport: PHONE });
    await page.goto(`${server.url}#/models/iris`);
    await page.getByRole('region', { name: 'Deployment' }).getByRole('form', { name: 'Split traffic' }).waitFor();
    expect(await fitsWidth(page)).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
