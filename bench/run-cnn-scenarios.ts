/**
 * The compute-heavy model: batching on against batching off at 128 connections (target 2), with a
 * rate-limited probe on /v2/health/live from its own thread meanwhile (target 3), next to the
 * HTTP limit for the same request and onnxruntime in-process at batch 1 and 64.
 */
import { cnnRequest } from './bench-models.js';
import { describeLoad, modelLoadLines } from './berth-load-report.js';
import { CNN } from './cnn-model.js';
import { fetchAnswer } from './check-answers.js';
import { jsonInferRequest, requestValues } from './infer-requests.js';
import { measureInProcess } from './measure-in-process.js';
import { type Measurement, measureHttp, measureHttpOnce, noiseOf, printProgress } from './measurement.js';
import { runLoadInThread } from './run-load-in-thread.js';
import type { ServerProcess } from './server-process.js';
import { startBareServer } from './start-bare-server.js';
import { startBerth } from './start-berth.js';
import type { SuiteContext } from './suite-context.js';

const GROUP = 'CNN: batching on and off';
const HEALTH_GROUP = '/v2/health/live during the CNN load';
const CONNECTIONS = 128;
/** Health probes per second: enough samples for a p99, too few to add load of their own. */
const PROBE_RATE = 200;
const PROBE_CONNECTIONS = 4;

/** Runs every CNN measurement into `ctx`. */
export async function runCnnScenarios(ctx: SuiteContext): Promise<void> {
  console.log(`CNN ([batch, 1, ${CNN.side}, ${CNN.side}] → Conv ${CNN.channels1} → Conv ${CNN.channels2} → GAP → ${CNN.outputs})`);
  const request = jsonInferRequest(cnnRequest(1));
  // The first two are target 2. The others separate batching from where single rows run (auto
  // runs a lone CNN row inline when it is cheap enough) and from how many threads infer.
  const variants: [string, string, string[], number[]][] = [
    ['on', 'batching on (defaults)', [], [1, CONNECTIONS]],
    ['off', '--max-batch-size 1', ['--max-batch-size', '1'], [1, CONNECTIONS]],
    ['offworker', '--max-batch-size 1 --execution worker', ['--max-batch-size', '1', '--execution', 'worker'], [CONNECTIONS]],
    ['threads1', '--threads 1', ['--threads', '1'], [CONNECTIONS]],
  ];
  let berthBytes = 0;
  for (const [key, setting, flags, concurrencies] of variants) {
    let server: ServerProcess | undefined;
    try {
      const berth = await startBerth('Berth', [{ name: 'cnn', path: ctx.models.cnn }], flags);
      server = berth;
      if (key === 'on') ctx.notes.push(...modelLoadLines(server.output()).map((l) => `Berth at start-up, ${describeLoad(l)}.`));
      const answer = await fetchAnswer(server, request);
      if (key === 'on') berthBytes = answer.bytes;
      for (const connections of concurrencies) {
        const id = `cnn.${key}.c${connections}`;
        const spec = { id, group: GROUP, request: 'JSON, 1 row', setting, connections, requests: [request] };
        if (connections !== CONNECTIONS) {
          ctx.measurements.push(await measureHttp(server, spec, ctx));
          continue;
        }
        const [main, health] = await ctx.quiet.run(
          () =>
            Promise.all([
              measureHttpOnce(berth, spec, ctx.timing),
              runLoadInThread({
                url: berth.url,
                requests: [{ method: 'GET', path: '/v2/health/live', rows: 0 }],
                connections: PROBE_CONNECTIONS,
                overallRate: PROBE_RATE,
                warmupSeconds: ctx.timing.warmupSeconds,
                // The thread starts a little after the main load; ending a second early keeps every
                // probe inside the loaded period.
                seconds: Math.max(1, ctx.timing.seconds - 1),
              }),
            ]),
          ([loaded]) => noiseOf(loaded),
        );
        ctx.measurements.push(main);
        const probe: Measurement = {
          id: `${id}.health`,
          group: HEALTH_GROUP,
          server: 'Berth',
          request: `GET, ${PROBE_RATE}/s`,
          setting,
          connections: PROBE_CONNECTIONS,
          result: health,
          ...(main.noisePercent !== undefined ? { noisePercent: main.noisePercent } : {}),
        };
        printProgress(probe);
        ctx.measurements.push(probe);
      }
    } finally {
      await server?.stop();
    }
  }

  const bare = await startBareServer(CNN.outputs, CNN.outputName);
  try {
    const bareBytes = (await fetchAnswer(bare, request)).bytes;
    ctx.notes.push(`Single-row CNN answers: Berth ${berthBytes} bytes, bare node:http ${bareBytes} bytes; the request is ${String(request.body).length} bytes of JSON (784 pixels with three decimals).`);
    ctx.measurements.push(
      await measureHttp(bare, { id: 'cnn.bare.c128', group: GROUP, request: 'JSON, 1 row', setting: 'no model', connections: CONNECTIONS, requests: [request] }, ctx),
    );
  } finally {
    await bare.stop();
  }

  for (const rows of [1, 64]) {
    const values = requestValues(cnnRequest(rows));
    const options = { modelPath: ctx.models.cnn, input: CNN.inputName, rowShape: [1, CNN.side, CNN.side], rows, values, ...ctx.timing };
    ctx.measurements.push(await measureInProcess(`cnn.ort${rows}`, GROUP, options, ctx.quiet));
  }
}
