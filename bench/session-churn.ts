/**
 * onnxruntime sessions created and released many times, as a server under a memory budget does:
 * RSS after N sessions of a small MLP were created with at most 100 held, after all were released,
 * and the CPU of one run, for one set of session options per process (`default`, `no-arena`:
 * enableCpuMemArena false, `no-pattern`: enableMemPattern false, `both`).
 *
 * Run: node --expose-gc --import tsx bench/session-churn.ts <mode> [sessions]
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../src/core/onnx-proto.js';
import { seededWeights } from './seeded-weights.js';
const [INPUTS, HIDDEN, OUTPUTS] = [16, 32, 4];
const mode = process.argv[2] ?? 'default';
const SESSIONS = Number(process.argv[3] ?? 1000);
const HOLD = 100;
const dir = mkdtempSync(join(tmpdir(), 'ort-churn-'));
function write(index: number): string {
  const seed = 1000 + index * 4;
  const model = onnxModel({ name: `m${index}`, nodes: [node('Gemm', ['x', 'w1', 'b1'], ['h']), node('Relu', ['h'], ['a']), node('Gemm', ['a', 'w2', 'b2'], ['logits']), node('Softmax', ['logits'], ['probabilities'], [attribute('axis', 1, 'int')])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', INPUTS])], outputs: [tensorValueInfo('probabilities', OnnxElementType.FLOAT, ['batch', OUTPUTS])],
    initializers: [floatTensor('w1', [INPUTS, HIDDEN], seededWeights(seed, INPUTS * HIDDEN, INPUTS, HIDDEN)), floatTensor('b1', [HIDDEN], seededWeights(seed + 1, HIDDEN, INPUTS, HIDDEN)), floatTensor('w2', [HIDDEN, OUTPUTS], seededWeights(seed + 2, HIDDEN * OUTPUTS, HIDDEN, OUTPUTS)), floatTensor('b2', [OUTPUTS], seededWeights(seed + 3, OUTPUTS, HIDDEN, OUTPUTS))] });
  const path = join(dir, `m${index}.onnx`); writeFileSync(path, encodeOnnxModel(model)); return path;
}
const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
  ...(mode === 'no-arena' || mode === 'both' ? { enableCpuMemArena: false } : {}), ...(mode === 'no-pattern' || mode === 'both' ? { enableMemPattern: false } : {}) };
const x = new ort.Tensor('float32', Float32Array.from({ length: INPUTS }, (_, i) => i / INPUTS), [1, INPUTS]);
const gc = (globalThis as { gc?: () => void }).gc!;
const rss = () => { gc(); return process.memoryUsage().rss / 2 ** 20; };
const paths = Array.from({ length: SESSIONS }, (_, i) => write(i));
const base = rss();
const live: ort.InferenceSession[] = [];
let peak = 0;
for (let i = 0; i < SESSIONS; i++) {
  const s = await ort.InferenceSession.create(paths[i]!, options);
  await s.run({ x });
  live.push(s);
  if (live.length > HOLD) await live.shift()!.release();
  if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20);
}
const withHold = rss();
for (const s of live.splice(0)) await s.release();
const after = rss();
// CPU per run on one session, 20000 runs.
const s = await ort.InferenceSession.create(paths[0]!, options);
for (let i = 0; i < 2000; i++) await s.run({ x });
const c0 = process.cpuUsage(); const t0 = performance.now();
const RUNS = 20000;
for (let i = 0; i < RUNS; i++) await s.run({ x });
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(`${mode}: baseline ${base.toFixed(1)} MiB; ${SESSIONS} sessions created, ${HOLD} held: ${withHold.toFixed(1)} MiB (+${(withHold - base).toFixed(1)}), peak ${peak.toFixed(1)}; all released: ${after.toFixed(1)} MiB (+${(after - base).toFixed(1)}); run: ${(((c.user + c.system)) / RUNS).toFixed(2)} µs CPU, ${(t * 1000 / RUNS).toFixed(2)} µs wall`);
