/**
 * The dashboard end to end, in headless Chromium against a real Berth server: the no-code path
 * from a CSV upload to a prediction in the Playground, drift showing up after drifted traffic,
 * promote and roll back with confirmation, a rollout started and aborted, the admin token, and
 * the phone layout. Every page must load without a console error or warning. Screenshots of every
 * page are taken on the way (see browser.ts for where they go).
 *
 * The tests run in order and share one server: the models the first ones train are the ones the
 * later ones operate.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_BROWSER, PHONE, fitsWidth, launchBrowser, screenshot, watchedPage } from './browser.js';
import { type DashboardServer, startDashboardServer } from './dashboard-server.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const TRAINING_TIMEOUT_MS = 60_000;

let browser: Browser;
let server: DashboardServer;

/**
 * Every request sampled (the distributions of the current window are drawn from the sampled log)
 * and written within 200 ms; alerts evaluated every 300 ms, with a rule on the loans model's drift.
 */
const MONITOR = {
  sampleRate: 1,
  sampleMaxPerMinute: 1000,
  flushIntervalMs: 200,
  alertIntervalMs: 300,
  rules: [{ id: 'loans-drift', name: 'Loans input drift', model: 'loans', type: 'drift_share', threshold: 0.3 }],
};

beforeAll(async () => {
  if (NO_BROWSER !== undefined) return;
  [browser, server] = await Promise.all([launchBrowser(), startDashboardServer({ monitor: MONITOR })]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Walks the no-code path in the browser: upload, choose the target, train, register with production. */
async function trainInBrowser(page: Page, csv: string, target: string, name: string): Promise<void> {
  await page.goto(`${server.url}#/train`);
  await page.getByLabel('CSV file with a header row').setInputFiles(`${DATASETS}${csv}`);
  const targetSelect = page.getByLabel('Target: the column to predict');
  await targetSelect.selectOption(target);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByText('Metrics on the validation rows').waitFor({ timeout: TRAINING_TIMEOUT_MS });
  await page.getByLabel('Model name').fill(name);
  await page.getByRole('button', { name: 'Register and set production' }).click();
  await page.waitForURL(new RegExp(`#/models/${name}$`));
  await page.getByRole('heading', { level: 1, name }).waitFor();
  // The page says when the server has loaded the new version and takes traffic.
  await page.getByRole('list', { name: 'Serving now' }).getByText('serving', { exact: true }).waitFor();
}

/**
 * Sends rows of a CSV file to the named-feature API in chunks, as a client would, and returns
 * the ground truth of each request (the `truth` column) as feedback items for later.
 */
async function sendCsv(model: string, csv: string, rowsPerRequest: number, truth: string): Promise<{ requestId: string; actual: number[] }[]> {
  const [header = '', ...rows] = readFileSync(`${DATASETS}${csv}`, 'utf8').trim().split(/\r?\n/);
  const column = header.split(',').indexOf(truth);
  const feedback: { requestId: string; actual: number[] }[] = [];
  for (let i = 0; i < rows.length; i += rowsPerRequest) {
    const chunk = rows.slice(i, i + rowsPerRequest);
    const response = await fetch(`${server.apiUrl}/api/models/${model}/predict`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: [header, ...chunk].join('\n') });
    const body = (await response.json()) as { requestId: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    feedback.push({ requestId: body.requestId, actual: chunk.map((row) => Number(row.split(',')[column])) });
  }
  return feedback;
}

async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.apiUrl}${path}`, init);
  const text = await response.text();
  expect(response.ok, `${path}: ${response.status} ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

describe.skipIf(NO_BROWSER !== undefined)(`dashboard${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`, () => {
  it('shows every page with its empty state before there is any model', async () => {
    const { page, context, problems } = await watchedPage(browser);
    await page.goto(server.url);
    await page.getByText('No models yet').waitFor();
    await page.getByRole('link', { name: 'Train one from a CSV file' }).waitFor();
    for (const [section, text] of [
      ['Monitoring', 'Choose a model'],
      ['Playground', 'Choose a model'],
      ['Train and deploy', 'CSV file with a header row'],
    ] as const) {
      // The nav works from the keyboard: focus the link, press Enter.
      await page.getByRole('link', { name: section, exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.getByText(text).first().waitFor();
      expect(await page.getByRole('link', { name: section, exact: true }).getAttribute('aria-current')).toBe('page');
    }
    await page.goto(`${server.url}#/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('walks the no-code path: CSV upload, target, training with progress, register, model page, prediction', async () => {
    const { page, context, problems } = await watchedPage(browser);
    // Progress is followed live, over the job's event stream.
    const streams: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/training\/[^/]+\/events$/.test(request.url())) streams.push(request.url());
    });
    await page.goto(`${server.url}#/train`);
    await page.getByLabel('CSV file with a header row').setInputFiles(`${DATASETS}iris.csv`);
    // The header is read in the browser and the last column offered as the target.
    expect(await page.getByLabel('Target: the column to predict').inputValue()).toBe('species');
    await page.getByRole('cell', { name: 'setosa' }).first().waitFor();
    // Small data: five-fold cross-validation instead of one held-out fifth.
    await page.getByRole('combobox', { name: /^Validation/ }).selectOption('5');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForURL(/#\/train\/.+/);
    // The steps still start at 1 once training runs: the data step stays, marked done.
    const dataStep = page.getByRole('region', { name: '1. Data' });
    await dataStep.getByText('done', { exact: true }).waitFor();
    await dataStep.getByText('iris.csv').waitFor();
    await page.getByRole('heading', { name: '2. Training' }).waitFor();
    await page.getByText('Metrics on every row, predicted out of fold (5-fold cross-validation)').waitFor({ timeout: TRAINING_TIMEOUT_MS });
    await page.getByText(/Accuracy/).first().waitFor();
    await page.getByRole('table', { name: /Confusion matrix/ }).waitFor();
    expect(streams).toHaveLength(1);
    await screenshot(page, 'train');

    await page.getByLabel('Model name').fill('iris');
    await page.getByRole('button', { name: 'Register and set production' }).click();
    await page.waitForURL(/#\/models\/iris$/);
    await page.getByRole('heading', { level: 1, name: 'iris' }).waitFor();
    await page.getByRole('table', { name: /Versions of iris/ }).getByRole('row', { name: /^v1\b/ }).getByText('production', { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Serving now' }).getByText('serving', { exact: true }).waitFor();
    await page.getByRole('heading', { name: /Schema/ }).waitFor();
    await page.getByRole('rowheader', { name: 'petal_length_cm' }).waitFor();

    await page.locator('.page-actions').getByRole('link', { name: 'Playground' }).click();
    await page.waitForURL(/#\/playground\/iris$/);
    await page.getByLabel('petal_length_cm').fill('5.8');
    await page.getByLabel('petal_width_cm').fill('2.2');
    await page.getByRole('button', { name: 'Predict' }).click();
    const prediction = page.getByTestId('prediction');
    await prediction.waitFor();
    expect(await prediction.textContent()).toBe('virginica');
    await page.getByRole('list', { name: 'Probability per class' }).waitFor();
    await screenshot(page, 'playground');

    // A required field emptied: the form is not sent, and the old result does not pass for its answer.
    await page.getByLabel('petal_width_cm').fill('');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByText('Fill in the required fields').waitFor();
    await page.getByText('petal_width_cm is empty or invalid').waitFor();
    expect(await prediction.count()).toBe(0);
    await page.getByLabel('petal_width_cm').fill('0.2');
    await page.getByLabel('petal_length_cm').fill('1.4');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByTestId('prediction').waitFor();
    expect(await page.getByTestId('prediction').textContent()).toBe('setosa');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows drift per feature, with distributions, after drifted traffic', async () => {
    const { page, context, problems } = await watchedPage(browser);
    await trainInBrowser(page, 'loans_reference.csv', 'defaulted', 'loans');

    const feedback = await sendCsv('loans', 'loans_current_drifted.csv', 250, 'defaulted');
    // The monitor records predictions off the request path: wait until the report counts them.
    await expect.poll(async () => (await apiJson<{ rows: number }>('/api/models/loans/monitor/drift')).rows, { timeout: 10_000 }).toBe(5000);
    await expect
      .poll(async () => (await apiJson<{ alerts: { rule: string }[] }>('/api/alerts?state=firing')).alerts.map((a) => a.rule), { timeout: 10_000 })
      .toContain('loans-drift');
    // Ground truth arrives later for some of them: the performance chart appears.
    const accepted = await apiJson<{ accepted: number }>('/api/models/loans/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(feedback.slice(0, 10)),
    });
    expect(accepted.accepted).toBe(10);

    await page.goto(`${server.url}#/monitoring/loans`);
    const table = page.getByRole('table', { name: /Drift per feature/ });
    await table.waitFor();
    for (const feature of ['annual_income', 'credit_score', 'loan_amount', 'employment']) {
      await table.getByRole('row', { name: new RegExp(feature) }).getByText('drifted', { exact: true }).waitFor();
    }
    await table.getByRole('row', { name: /region/ }).getByText('stable', { exact: true }).waitFor();
    expect(await table.locator('figure.distribution').count()).toBeGreaterThanOrEqual(9);
    // Categories are named under their bars.
    const employment = table.getByRole('row', { name: /employment/ });
    await employment.locator('.recharts-cartesian-axis-tick-value', { hasText: 'salaried' }).waitFor();
    // A trained model's profile has its outputs: prediction drift is judged, not "no reference".
    await page.locator('.facts', { hasText: 'Prediction drift' }).locator('.badge', { hasText: /^(drifted|stable)$/ }).waitFor();
    await page.getByRole('heading', { name: 'Drift over time' }).waitFor();
    // The drifted file has rows outside the reference: the feature most often outside is named.
    await page.locator('.facts', { hasText: 'Outliers' }).getByText(/most: /).waitFor();
    await page.getByRole('list', { name: 'Alerts' }).getByText('Loans input drift').waitFor();
    await page.getByText('Metrics per window').waitFor();
    // A model trained by Berth carries its calibration: performance is estimated beside the realized figures.
    await page.getByText('Estimated without labels (CBPE) beside realized from feedback').waitFor();
    expect(await page.getByTestId('estimate-error-accuracy').textContent()).toMatch(/^[+−]\d/);
    await screenshot(page, 'monitoring');

    await page.goto(`${server.url}#/models/loans`);
    await page.getByText('Requests per second').waitFor();
    await page.getByRole('table', { name: /Versions of loans/ }).getByText('ROC AUC').waitFor();
    // Row counts are facts about the data, not metrics; years are written without a separator.
    expect(await page.getByText('Validation Rows').count()).toBe(0);
    await screenshot(page, 'model');

    await page.goto(`${server.url}#/models`);
    const row = page.getByRole('row', { name: /loans/ });
    await row.locator('.badge', { hasText: /^(drifted|\d+ drifting)$/ }).waitFor();
    await page.getByRole('row', { name: /iris/ }).locator('.badge').waitFor();
    await screenshot(page, 'models');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('promotes and rolls back an alias, asking first, from the keyboard too', async () => {
    // A second version of iris, trained and registered without an alias through the API.
    const form = new FormData();
    form.append('target', 'species');
    form.append('algorithm', 'gbdt');
    form.append('file', new Blob([readFileSync(`${DATASETS}iris.csv`)]), 'iris.csv');
    const job = await apiJson<{ id: string }>('/api/training', { method: 'POST', body: form });
    await expect.poll(async () => (await apiJson<{ state: string }>(`/api/training/${job.id}`)).state, { timeout: TRAINING_TIMEOUT_MS }).toBe('succeeded');
    await apiJson(`/api/training/${job.id}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'iris' }) });
    const production = async () => (await apiJson<{ model: { aliases: Record<string, number> } }>('/api/models/iris')).model.aliases.production;

    const { page, context, problems } = await watchedPage(browser);
    await page.goto(`${server.url}#/models/iris`);
    const v2 = page.getByRole('table', { name: /Versions of iris/ }).getByRole('row', { name: /^v2\b/ });
    await v2.getByRole('button', { name: 'Promote' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote version 2 to production' });
    await dialog.waitFor();
    // Escape cancels; nothing moved.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await production()).toBe(1);

    await v2.getByRole('button', { name: 'Promote' }).click();
    await dialog.waitFor();
    await screenshot(page, 'model-confirm', { fullPage: false });
    // Cancel has the focus first, so Enter alone never confirms; Tab to the confirm button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    expect(await production()).toBe(2);
    await page.getByRole('table', { name: /Aliases/ }).getByRole('row', { name: /production/ }).getByText('v2').waitFor();

    await page.getByRole('button', { name: 'Roll back to v1' }).first().click();
    const rollback = page.getByRole('dialog', { name: 'Roll back production' });
    await rollback.getByRole('button', { name: 'Roll back to v1' }).click();
    await rollback.waitFor({ state: 'hidden' });
    expect(await production()).toBe(1);

    // The server refuses to delete the version production points at: Delete is off, saying why.
    const v1 = page.getByRole('table', { name: /Versions of iris/ }).getByRole('row', { name: /^v1\b/ });
    const remove = v1.getByRole('button', { name: 'Delete' });
    // The table follows the rollback when its data refreshes: wait for the reason, then check the button.
    await v1.getByText('Delete is off: @production points at this version. Move it first.').waitFor();
    expect(await remove.isDisabled()).toBe(true);
    expect(await remove.getAttribute('aria-describedby')).toBe('delete-blocked-1');
    // v2 has no alias: it can be deleted (the dialog asks first; cancelled here).
    await v2.getByRole('button', { name: 'Delete' }).click();
    const dialogDelete = page.getByRole('dialog', { name: 'Delete version 2' });
    await dialogDelete.getByRole('button', { name: 'Cancel' }).click();
    await dialogDelete.waitFor({ state: 'hidden' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('starts a rollout from the model page, shows its steps, guards and timeline, and aborts it, asking first', async () => {
    const { page, context, problems } = await watchedPage(browser);
    await page.goto(`${server.url}#/models/iris`);
    const panel = page.getByRole('region', { name: 'Rollout' });
    await panel.getByText('No rollout yet').waitFor();
    const form = panel.getByRole('form', { name: 'Start a rollout' });
    await form.getByLabel('Steps').fill('10,50,100');
    await form.getByLabel('Check every').fill('1s');
    await form.getByLabel('Least requests').fill('5');
    await form.getByLabel('Guards').fill('error_rate<0.01 p99_ms<1.5x');
    await form.getByRole('button', { name: 'Start rollout' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll out version 2' });
    await dialog.getByText('in steps 10,50,100').waitFor();
    await dialog.getByRole('button', { name: 'Start rollout to v2' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The server took the first step at once: 10% of requests to v2; its checks show up as they come.
    const steps = panel.getByRole('list', { name: 'Steps' });
    await steps.locator('[aria-current="step"]').getByText('10%').waitFor();
    await panel.getByRole('table', { name: 'Guards' }).getByRole('row', { name: /error_rate<0.01/ }).waitFor();
    await panel.getByText(/waits for \d+ of 5 requests/).waitFor();
    const rollouts = await apiJson<{ rollouts: { state: string; challenger: number }[] }>('/api/models/iris/rollouts');
    expect(rollouts.rollouts[0]).toMatchObject({ state: 'running', challenger: 2 });
    await screenshot(page, 'model-rollout');

    await panel.getByRole('button', { name: 'Abort rollout' }).click();
    const abort = page.getByRole('dialog', { name: 'Abort the rollout' });
    await abort.getByRole('button', { name: 'Abort rollout' }).click();
    await abort.waitFor({ state: 'hidden' });
    await panel.getByText('Aborted', { exact: true }).waitFor();
    await panel.getByRole('list', { name: 'Timeline' }).getByText(/aborted by/).first().waitFor();
    expect((await apiJson<{ rollouts: { state: string }[] }>('/api/models/iris/rollouts')).rollouts[0]?.state).toBe('aborted');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows retraining on the model page and retrains now, asking first; a job that cannot run shows its code; sets and removes the policy', async () => {
    // The refused policy's PUT is logged by the browser; the dialog shows why.
    const { page, context, problems } = await watchedPage(browser, { allow: [/status of 400/] });
    await page.goto(`${server.url}#/models/iris`);
    const panel = page.getByRole('region', { name: 'Retraining' });
    await panel.getByText('No retraining policy: the model retrains by hand. Set one below.').waitFor();
    await panel.getByText('No retraining yet').waitFor();
    await panel.getByRole('button', { name: 'Retrain now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retrain iris' });
    await dialog.getByRole('button', { name: 'Retrain now' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // iris was trained from an upload without keeping its data, so the job fails, saying so; production stays.
    const jobs = panel.getByRole('list', { name: 'Retraining jobs' });
    await jobs.getByText('BERTH_RETRAIN_DATA_NOT_KEPT').waitFor();
    await jobs.getByText('failed', { exact: true }).waitFor();
    const listed = await apiJson<{ state: string; retrain: { trigger: { kind: string } } }[]>('/api/models/iris/retrain/jobs');
    expect(listed[0]).toMatchObject({ state: 'failed', retrain: { trigger: { kind: 'manual' } } });
    await screenshot(page, 'model-retraining');

    // The policy is set from the panel too: asked first, checked by the server, removable.
    const form = panel.getByRole('form', { name: 'Retraining policy' });
    await form.getByLabel('Cron (UTC)').fill('99 * * * *');
    await form.getByRole('button', { name: 'Set policy' }).click();
    const refused = page.getByRole('dialog', { name: 'Set the retraining policy of iris' });
    await refused.getByRole('button', { name: 'Set policy' }).click();
    await refused.getByRole('alert').getByText(/triggers\.cron is invalid: '99 \* \* \* \*' is not a cron schedule/).waitFor();
    await refused.getByRole('button', { name: 'Cancel' }).click();
    await form.getByLabel('Cron (UTC)').fill('');
    await form.getByLabel('Every').fill('1d');
    await form.getByLabel('On a drift alert').check();
    await form.getByLabel('A better challenger is').selectOption('rollout');
    await form.getByRole('button', { name: 'Set policy' }).click();
    const dialog2 = page.getByRole('dialog', { name: 'Set the retraining policy of iris' });
    await dialog2.getByText(/retrains iris every 1d, on a drift alert, on the labelled traffic of 7d/).waitFor();
    await dialog2.getByRole('button', { name: 'Set policy' }).click();
    await dialog2.waitFor({ state: 'hidden' });
    await panel.getByText(/^Policy: every 1d, on a drift alert; learns from the labelled traffic of 7d; a better challenger is rolled out\.$/).waitFor();
    expect(await apiJson<{ policy: unknown }>('/api/models/iris/retrain/policy')).toMatchObject({ policy: { triggers: { every: '1d', onDrift: true }, since: '7d', promote: 'rollout', minRows: 100 } });

    await form.getByRole('button', { name: 'Remove policy' }).click();
    const removal = page.getByRole('dialog', { name: 'Remove the retraining policy of iris' });
    await removal.getByRole('button', { name: 'Remove policy' }).click();
    await removal.waitFor({ state: 'hidden' });
    await panel.getByText('No retraining policy: the model retrains by hand. Set one below.').waitFor();
    expect(await apiJson<{ policy: unknown }>('/api/models/iris/retrain/policy')).toMatchObject({ policy: null });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is readable on a phone: no sideways scrolling, tables as cards', async () => {
    const { page, context, problems } = await watchedPage(browser, { viewport: PHONE });
    for (const [path, name, ready] of [
      ['#/models', 'models-phone', 'iris'],
      ['#/models/iris', 'model-phone', 'Versions'],
      ['#/playground/iris', 'playground-phone', 'Predict'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.getByText(ready, { exact: true }).first().waitFor();
      expect(await fitsWidth(page), path).toBe(true);
      await screenshot(page, name);
    }
    await page.goto(`${server.url}#/monitoring/loans`);
    const drift = page.getByRole('table', { name: /Drift per feature/ });
    await drift.waitFor();
    expect(await fitsWidth(page)).toBe(true);
    // Each feature's distribution waits behind a tap, so the page stays a phone's length.
    expect(await drift.locator('figure.distribution').count()).toBe(0);
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    expect(height).toBeLessThan(4500);
    await screenshot(page, 'monitoring-phone');
    await drift.getByRole('row', { name: /employment/ }).getByText('Distribution', { exact: true }).click();
    await drift.locator('figure.distribution').first().waitFor();
    expect(await drift.locator('figure.distribution').count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows an error inside the page, not a blank dashboard, when a field has an unexpected shape', async () => {
    // The boundary logs what it caught, and React logs the error it rethrows: both are expected.
    const { page, context, problems } = await watchedPage(browser, { allow: [/Objects are not valid as a React child/, /Minified React error #31/, /the page failed to draw/, /error boundary/i] });
    // An older or broken server answering a version's tags as nested objects.
    await page.route(/\/api\/models\/iris\/versions\/\d+$/, async (route) => {
      const response = await route.fetch();
      const detail = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...detail, tags: { owner: { team: 'fraud' } } } });
    });
    await page.goto(`${server.url}#/models/iris`);
    await page.getByRole('heading', { level: 1, name: 'This page could not be shown' }).waitFor();
    await expect(page.getByRole('alert').getByText('Something on this page has an unexpected shape').isVisible()).resolves.toBe(true);
    await screenshot(page, 'page-error-boundary');
    // The rest of the dashboard still works: the navigation draws another page.
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    await page.getByText('iris', { exact: true }).first().waitFor();
    expect(await page.getByRole('heading', { name: 'This page could not be shown' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe.skipIf(NO_BROWSER !== undefined)(`dashboard with an admin token${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`, () => {
  const token = 'dashboard-test-token';
  let guarded: DashboardServer;
  beforeAll(async () => {
    guarded = await startDashboardServer({ server: { adminToken: token } });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it('asks for the token, keeps it for the tab, and sends it as a Bearer header', async () => {
    // The refused requests are expected here, and the browser logs each one.
    const { page, context, problems } = await watchedPage(browser, { allow: [/status of 401/] });
    const authorizations: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/')) authorizations.push(request.headers().authorization ?? '');
    });
    await page.goto(guarded.url);
    const dialog = page.getByRole('dialog', { name: 'Admin token needed' });
    await dialog.waitFor();
    await screenshot(page, 'token', { fullPage: false });
    await dialog.getByLabel('Token').fill('not-the-token');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByLabel('Token').fill(token);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('No models yet').waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('berth.adminToken')")).toBe(token);
    expect(authorizations.at(-1)).toBe(`Bearer ${token}`);

    // A reload keeps the token (same tab); a new tab's storage does not have it.
    await page.reload();
    await page.getByText('No models yet').waitFor();
    expect(await dialog.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Forget token' }).click();
    await dialog.waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
