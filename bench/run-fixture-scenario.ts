/**
 * Memory (target 4): one Berth server with all 137 ONNX backend fixture models, under load that
 * cycles through every model's fixture request, while its resident memory is sampled.
 */
import { fixtureCases } from '../test/helpers/fixtures.js';
import { modelLoadLines } from './berth-load-report.js';
import { measureHttp } from './measurement.js';
import type { BenchRequest } from './run-load.js';
import { readTree } from './sample-server.js';
import type { ServerProcess } from './server-process.js';
import { startBerth } from './start-berth.js';
import type { SuiteContext } from './suite-context.js';

/** Runs the fixture measurement into `ctx`. */
export async function runFixtureScenario(ctx: SuiteContext): Promise<void> {
  const cases = fixtureCases();
  console.log(`ONNX backend fixtures (${cases.length} models)`);
  const requests: BenchRequest[] = cases.map((c) => ({
    method: 'POST',
    path: `/v2/models/${c.name}/infer`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: Object.entries(c.inputs).map(([name, t]) => ({ name, ...t })) }),
    rows: 1,
  }));
  // Defaults (target 4), then V8's own heap growth (server.heapGrowthPercent 0): what the
  // default setting saves, and what it costs in throughput, side by side.
  const settings: [key: string, setting: string, env: Record<string, string>][] = [
    ['', 'defaults', {}],
    ['.v8heap', 'heapGrowthPercent 0 (V8 default heap growth)', { BERTH_HEAP_GROWTH_PERCENT: '0' }],
  ];
  for (const [key, setting, env] of settings) {
    let server: ServerProcess | undefined;
    try {
      const started = performance.now();
      server = await startBerth('Berth', cases.map((c) => ({ name: c.name, path: c.model })), [], env);
      const startSeconds = (performance.now() - started) / 1000;
      const idleMb = readTree(server.pid).rssBytes / 2 ** 20;
      const loads = modelLoadLines(server.output());
      const inline = loads.filter((l) => l.inline).length;
      ctx.measurements.push(
        await measureHttp(
          server,
          { id: `fixtures.c64${key}`, group: `Memory: ${cases.length} ONNX backend models in one server`, request: `JSON, all ${cases.length} in turn`, setting, connections: 64, requests },
          ctx,
        ),
      );
      if (key === '') {
        ctx.notes.push(
          `The fixture server loaded ${cases.length} models in ${startSeconds.toFixed(1)} s (${inline} run small requests inline) and held ${idleMb.toFixed(0)} MiB before the load.`,
        );
      }
    } finally {
      await server?.stop();
    }
  }
}
