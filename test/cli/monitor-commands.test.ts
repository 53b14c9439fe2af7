/**
 * `berth monitor` and `berth drift` as functions and through their commander wiring, and the
 * monitor's configuration from the environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { driftCommand } from '../../src/cli/commands/drift.js';
import { monitorCommand } from '../../src/cli/commands/monitor.js';
import { renderDriftHtml, renderDriftTable } from '../../src/cli/drift-output.js';
import { loadConfig } from '../../src/cli/load-config.js';
import { addMonitorCommands } from '../../src/cli/monitor-program.js';
import { MonitorService } from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores, openMetadataStore } from '../../src/store/index.js';
import { event, referenceProfile, registerProfiled, registryReferences, SCHEMA } from '../monitor/monitor-helpers.js';

const dataset = (name: string) => new URL(`../fixtures/datasets/${name}.csv`, import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-monitor-cli-'));
  dirs.push(dir);
  return dir;
}

describe('berth drift', () => {
  it('flags nothing between the reference and the stable file, and the four drifted columns plus the prediction in the drifted one', async () => {
    const stable = await driftCommand({ reference: dataset('loans_reference'), current: dataset('loans_current_stable'), target: 'defaulted' });
    expect(stable.report.features.filter((f) => f.drifted)).toEqual([]);
    expect(stable.schema.features.map((f) => `${f.name}:${f.kind}`)).toContain('employment:categorical');
    const drifted = await driftCommand({ reference: dataset('loans_reference'), current: dataset('loans_current_drifted'), target: 'defaulted' });
    expect(drifted.report.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
    expect(drifted.report.predictionDrift?.features.map((f) => [f.name, f.drifted])).toEqual([['defaulted', true]]);

    const table = renderDriftTable(drifted.report, { title: 'Drift of current against reference' });
    expect(table).toMatch(/^FEATURE\s+KIND\s+METHOD\s+STATISTIC/m);
    expect(table).toMatch(/^credit_score\s+numeric\s+wasserstein\s+\S+\s+>= 0\.1\s+-\s+YES/m);
    expect(table).toContain('Dataset drift: no (4 of 9 features drifted, 44%; threshold 50%)');
    expect(table).toContain('Prediction drift: YES (defaulted)');

    const html = renderDriftHtml({ report: drifted.report, reference: drifted.reference, current: drifted.current, heading: { title: 'Loans <drift>' }, generated: '2025-03-01T00:00:00.000Z' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html).toContain('Loans &lt;drift&gt;');
    expect(html.match(/<svg /g)?.length).toBe(10);
    expect(html).toContain('gig_worker');
  });

  it('runs from the command line: json and html to a file; a missing target is a catalogue error', async () => {
    const printed: string[] = [];
    const program = new Command().exitOverride();
    addMonitorCommands(program, { env: {}, print: (text) => printed.push(text) });
    await program.parseAsync(['node', 'berth', 'drift', dataset('loans_reference'), dataset('loans_current_drifted'), '--format', 'json', '--method', 'psi']);
    const json = JSON.parse(printed.pop()!);
    expect(json.features.map((f: { method: string }) => f.method)).toEqual(Array(10).fill('psi'));
    const out = join(tempDir(), 'drift.html');
    await program.parseAsync(['node', 'berth', 'drift', dataset('loans_reference'), dataset('loans_current_stable'), '--format', 'html', '-o', out]);
    expect(printed.pop()).toBe(`Wrote the html report to ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('</html>');
    await expect(driftCommand({ reference: dataset('iris'), current: dataset('iris'), target: 'nope' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_TRAIN_TARGET_NOT_FOUND' }));
  });
});

describe('berth drift column kinds', () => {
  /** Customers with an id, a date, free text, a boolean (`senior`), a category and a number. */
  function customers(rows: number, shift: number): string {
    const lines = ['customer_id,signup,note,senior,plan,monthly'];
    for (let i = 0; i < rows; i++) {
      lines.push([i + shift * 100_000, `202${i % 4}-0${1 + (i % 9)}-1${i % 10}`, `said ${i * 7 + shift}`, i % 5 === 0 ? 'true' : 'false', ['a', 'b', 'c'][i % 3], (i % 50) + shift].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  it('leaves identifiers, dates and free text out as the trainer does, and measures booleans as the live monitor does', async () => {
    const dir = tempDir();
    const [reference, current] = [join(dir, 'ref.csv'), join(dir, 'cur.csv')];
    writeFileSync(reference, customers(400, 0));
    writeFileSync(current, customers(300, 1));
    const result = await driftCommand({ reference, current });
    expect(result.schema.features.map((f) => `${f.name}:${f.kind}`)).toEqual(['senior:numeric', 'plan:categorical', 'monthly:numeric']);
    expect(result.skipped).toEqual([
      { name: 'customer_id', reason: 'an identifier: named like one and all 400 values are distinct' },
      { name: 'signup', reason: 'a date: its values move on with time, so it is not compared' },
      { name: 'note', reason: '400 distinct text values (more than 20); free text is not encoded' },
    ]);
    expect(result.report.features.find((f) => f.name === 'senior')).toMatchObject({ kind: 'numeric', drifted: false });

    const chosen = await driftCommand({ reference, current, columns: ['plan', 'monthly'] });
    expect(chosen.report.features.map((f) => f.name)).toEqual(['plan', 'monthly']);
    const excluded = await driftCommand({ reference, current, exclude: ['monthly'] });
    expect(excluded.report.features.map((f) => f.name)).toEqual(['senior', 'plan']);
    expect(excluded.skipped).toContainEqual({ name: 'monthly', reason: 'excluded' });
    await expect(driftCommand({ reference, current, exclude: ['montly'] })).rejects.toMatchObject({
      code: 'BERTH_MONITOR_OPTION_INVALID',
      message: expect.stringContaining("'montly' not in the reference, whose columns are customer_id, signup, note, senior, plan, monthly"),
    });

    const printed: string[] = [];
    const program = new Command().exitOverride();
    addMonitorCommands(program, { env: {}, print: (text) => printed.push(text) });
    await program.parseAsync(['node', 'berth', 'drift', reference, current, '--exclude', 'plan', '--exclude', 'senior']);
    expect(printed[0]).toMatch(/^monthly\s+numeric/m);
    expect(printed[0]).not.toMatch(/^plan\s/m);
    expect(printed[0]).toContain('Not compared: customer_id (an identifier: named like one and all 400 values are distinct)');
    expect(printed[0]).toContain('Not compared: plan (excluded)');
  });
});

describe('berth monitor', () => {
  it('prints the drift table of the windows in the database', async () => {
    const home = tempDir();
    const config = loadConfig({ env: { BERTH_HOME: home, BERTH_MONITOR_WINDOW_MS: '60000' } });
    const store = await openMetadataStore({ home });
    const now = Date.parse('2025-03-01T10:00:00.000Z');
    try {
      await registerProfiled(store, home, { name: 'm', profile: referenceProfile(), aliases: ['production'] });
      const monitor = new MonitorService({ stores: monitorStores(store, { logWriter: false, blobs: new FileBlobStore(join(home, 'blobs')) }), config: config.monitor, references: registryReferences(store, home), schemaFor: () => SCHEMA, now: () => now, timers: false });
      for (let i = 0; i < 30; i++) monitor.record(event(now - 10 * 60_000 + i * 1000, { model: 'm' }));
      await monitor.close();
    } finally {
      await store.close();
    }
    const report = await monitorCommand({ config, model: 'm', since: '1h', now: () => now });
    expect(report).toMatchObject({ model: 'm', version: '1', rows: 30 });
    const printed: string[] = [];
    const program = new Command().exitOverride();
    addMonitorCommands(program, { env: { BERTH_HOME: home }, print: (text) => printed.push(text) });
    await expect(program.parseAsync(['node', 'berth', 'monitor', 'ghost', '--since', '1h'])).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' }));
    await program.parseAsync(['node', 'berth', 'monitor', 'm', '--since', '100000d']);
    expect(printed[0]).toMatch(/^Drift of m version 1, .* to .*: 30 rows \(reference 200\)/);
    expect(printed[0]).toMatch(/^age\s+numeric/m);
    // Reading the database, the current window is not there yet: the report says so and when it closes.
    expect(printed[0]).toMatch(/Traffic of the current window is still in the servers' memory: it is written when the window closes at \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z \(windows last 1m\)\. Add --url/);
    const excluded = await monitorCommand({ config, model: 'm', since: '1h', now: () => now, exclude: ['age'] });
    expect(excluded.features.map((f) => f.name)).not.toContain('age');
    expect(excluded.pending).toEqual({ windowCloses: '2025-03-01T10:01:00.000Z', windowMs: 60_000 });
  });
});

describe('monitor configuration', () => {
  it('has defaults, reads BERTH_MONITOR_* variables, and validates rules', () => {
    const defaults = loadConfig({ env: {} }).monitor;
    expect(defaults).toMatchObject({ enabled: true, windowMs: 60_000, sampleRate: 0.01, webhooks: [], rules: [], drift: { correction: 'benjamini-hochberg', datasetDriftShare: 0.5 } });
    const config = loadConfig({
      env: { BERTH_MONITOR_WINDOW_MS: '30000', BERTH_MONITOR_SAMPLE_RATE: '0.5', BERTH_MONITOR_WEBHOOKS: 'https://a.example/x, http://b.example/y', BERTH_MONITOR_REPLICA_ID: 'r1' },
    }).monitor;
    expect(config).toMatchObject({ windowMs: 30_000, sampleRate: 0.5, webhooks: ['https://a.example/x', 'http://b.example/y'], replicaId: 'r1' });
    expect(() => loadConfig({ env: { BERTH_MONITOR_SAMPLE_RATE: '2' } })).toThrow(/monitor\.sampleRate/);
    expect(() => loadConfig({ env: {}, flags: { monitor: { rules: [{ type: 'feature_drift' }] } } as never })).toThrow(/monitor\.rules\.0\.feature/);
    expect(() => loadConfig({ env: { BERTH_MONITOR_WEBHOOKS: 'ftp://x' } })).toThrow(/monitor\.webhooks/);
  });
});
