/**
 * The small model: Berth side by side with the bare HTTP server, the FastAPI + scikit-learn
 * server and onnxruntime in-process (targets 1 and 5), then Berth's settings one at a time.
 */
import { availableParallelism } from 'node:os';
import { mlpRequest } from './bench-models.js';
import { describeLoad, modelLoadLines } from './berth-load-report.js';
import { fetchAnswer, maxAbsDifference } from './check-answers.js';
import { binaryInferRequest, jsonInferRequest, requestValues } from './infer-requests.js';
import { measureInProcess } from './measure-in-process.js';
import { measureHttp } from './measurement.js';
import { MLP } from './mlp-model.js';
import type { BenchRequest } from './run-load.js';
import type { ServerProcess } from './server-process.js';
import { startBareServer } from './start-bare-server.js';
import { type ServedFile, startBerth } from './start-berth.js';
import { startPythonServer } from './start-python-server.js';
import type { SuiteContext } from './suite-context.js';

/** Connections for the single-row JSON comparison; 64 is the target's. */
const CONCURRENCIES = [1, 16, 64] as const;
/** Rows in a batched request. */
const BATCH_ROWS = 32;

const GROUP = 'MLP: Berth and its limits';
const SETTINGS_GROUP = 'MLP: Berth settings (64 connections)';

/** Runs every MLP measurement into `ctx`. */
export async function runMlpScenarios(ctx: SuiteContext): Promise<void> {
  console.log('MLP (64 → 128 → 10)');
  const mlp: ServedFile[] = [{ name: 'mlp', path: ctx.models.mlp }];
  const json1 = jsonInferRequest(mlpRequest(1));
  const jsonBatch = jsonInferRequest(mlpRequest(BATCH_ROWS));
  const json1Float = jsonInferRequest(mlpRequest(1, 'float64'));
  const binary1 = binaryInferRequest(mlpRequest(1));
  const binaryBatch = binaryInferRequest(mlpRequest(BATCH_ROWS));

  const servers: ServerProcess[] = [];
  try {
    const bare = await startBareServer(MLP.outputs, MLP.outputName);
    servers.push(bare);
    const berth = await startBerth('Berth', mlp);
    servers.push(berth);
    let python: ServerProcess | undefined;
    if (ctx.pythonMissing === undefined) {
      try {
        python = await startPythonServer(ctx.models.mlpWeightsJson, availableParallelism());
        servers.push(python);
      } catch (error) {
        ctx.notes.push(`The FastAPI server did not start, so it is left out: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    ctx.notes.push(...modelLoadLines(berth.output()).map((l) => `Berth at start-up, ${describeLoad(l)}.`));
    await checkMlpAnswers(ctx, bare, berth, python, json1);

    // Side by side: at each step the servers are measured one right after the other.
    const compared = [bare, berth, ...(python ? [python] : [])];
    const measure = async (server: ServerProcess, key: string, request: string, requests: BenchRequest[], connections: number) =>
      ctx.measurements.push(
        await measureHttp(server, { id: `mlp.${key}.c${connections}.${serverKey(server)}`, group: GROUP, request, setting: 'defaults', connections, requests }, ctx),
      );
    for (const connections of CONCURRENCIES) {
      for (const server of compared) await measure(server, 'json1', 'JSON, 1 row', [json1], connections);
    }
    for (const server of compared) await measure(server, 'json32', `JSON, ${BATCH_ROWS} rows`, [jsonBatch], 64);
    // Every digit of a double, as a Python client sends numpy floats: a different JSON parse path.
    for (const server of [bare, berth]) await measure(server, 'json1f', 'JSON, 1 row, float64 digits', [json1Float], 64);
    for (const server of [bare, berth]) await measure(server, 'bin1', 'binary, 1 row', [binary1], 64);
    for (const server of [bare, berth]) await measure(server, 'bin32', `binary, ${BATCH_ROWS} rows`, [binaryBatch], 64);
    for (const server of servers) await server.stop();
    servers.length = 0;

    // The limit of inference, measured while no server runs.
    for (const rows of [1, BATCH_ROWS]) {
      const values = requestValues(mlpRequest(rows));
      const options = { modelPath: ctx.models.mlp, input: MLP.inputName, rowShape: [MLP.inputs], rows, values, ...ctx.timing };
      ctx.measurements.push(await measureInProcess(`mlp.ort${rows}`, GROUP, options, ctx.quiet));
    }

    // Berth's settings, one server at a time, each measured with the same request and load.
    const variants: [string, string, string[]][] = [
      ['default', 'defaults (auto, batching on)', []],
      ['nobatch', '--max-batch-size 1', ['--max-batch-size', '1']],
      ['worker', '--execution worker', ['--execution', 'worker']],
      ['inline', '--execution inline', ['--execution', 'inline']],
      ['workers2', '--workers 2', ['--workers', '2']],
    ];
    for (const [key, setting, flags] of variants) {
      const server = await startBerth('Berth', mlp, flags);
      servers.push(server);
      ctx.measurements.push(
        await measureHttp(server, { id: `mlp.setting.${key}`, group: SETTINGS_GROUP, request: 'JSON, 1 row', setting, connections: 64, requests: [json1] }, ctx),
      );
      if (key === 'default' || key === 'nobatch') {
        // Batching on and off for requests that already carry a batch.
        const spec = { id: `mlp.setting.${key}.json32`, group: SETTINGS_GROUP, request: `JSON, ${BATCH_ROWS} rows`, setting, connections: 64, requests: [jsonBatch] };
        ctx.measurements.push(await measureHttp(server, spec, ctx));
      }
      await server.stop();
      servers.length = 0;
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function serverKey(server: ServerProcess): string {
  if (server.label.startsWith('Berth')) return 'berth';
  if (server.label.startsWith('bare')) return 'bare';
  return 'python';
}

async function checkMlpAnswers(ctx: SuiteContext, bare: ServerProcess, berth: ServerProcess, python: ServerProcess | undefined, request: BenchRequest): Promise<void> {
  const berthAnswer = await fetchAnswer(berth, request);
  const bareAnswer = await fetchAnswer(bare, request);
  ctx.notes.push(
    `Single-row MLP answers: Berth ${berthAnswer.bytes} bytes, bare node:http ${bareAnswer.bytes} bytes` +
      (python ? `, FastAPI ${(await fetchAnswer(python, request)).bytes} bytes` : '') +
      ` (JSON body; the request is ${String(request.body).length} bytes).`,
  );
  if (python) {
    const difference = maxAbsDifference(berthAnswer, await fetchAnswer(python, request));
    ctx.notes.push(`FastAPI + scikit-learn and Berth give the same probabilities for the bench request (largest difference ${difference.toExponential(1)}).`);
    if (!(difference < 1e-4)) throw new Error(`the Python server and Berth disagree on the MLP (largest difference ${difference})`);
  }
}
