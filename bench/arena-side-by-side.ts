/**
 * onnxruntime's CPU memory arena on and off, side by side in one process: the CPU of one run of
 * the small MLP of bench/many-models.ts at batch 1 and 64, in alternating rounds of 3,000 runs
 * (medians of 8 rounds each). Berth turns the arena off for sessions under a memory budget.
 *
 * Run: npx tsx bench/arena-side-by-side.ts
 */
import ort from 'onnxruntime-node';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../src/core/onnx-proto.js';
import { seededWeights } from './seeded-weights.js';
const [I, H, O] = [16, 32, 4];
const model = onnxModel({ name: 'm', nodes: [node('Gemm', ['x', 'w1', 'b1'], ['h']), node('Relu', ['h'], ['a']), node('Gemm', ['a', 'w2', 'b2'], ['logits']), node('Softmax', ['logits'], ['probabilities'], [attribute('axis', 1, 'int')])],
  inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', I])], outputs: [tensorValueInfo('probabilities', OnnxElementType.FLOAT, ['batch', O])],
  initializers: [floatTensor('w1', [I, H], seededWeights(1, I * H, I, H)), floatTensor('b1', [H], seededWeights(2, H, I, H)), floatTensor('w2', [H, O], seededWeights(3, H * O, H, O)), floatTensor('b2', [O], seededWeights(4, O, H, O))] });
const path = join(mkdtempSync(join(tmpdir(), 'arena-')), 'm.onnx'); writeFileSync(path, encodeOnnxModel(model));
const base = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' as const, graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const };
const sessions = { default: await ort.InferenceSession.create(path, base), 'arena off': await ort.InferenceSession.create(path, { ...base, enableCpuMemArena: false }) };
for (const batch of [1, 64]) {
  const x = new ort.Tensor('float32', new Float32Array(batch * I).fill(0.5), [batch, I]);
  const cpu: Record<string, number[]> = { default: [], 'arena off': [] };
  for (const s of Object.values(sessions)) for (let i = 0; i < 2000; i++) await s.run({ x });
  for (let round = 0; round < 8; round++) for (const [name, s] of Object.entries(sessions)) {
    const c0 = process.cpuUsage(); const RUNS = 3000;
    for (let i = 0; i < RUNS; i++) await s.run({ x });
    const c = process.cpuUsage(c0); cpu[name]!.push((c.user + c.system) / RUNS);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  console.log(`batch ${batch}: ` + Object.entries(cpu).map(([n, v]) => `${n} median ${med(v).toFixed(2)} µs CPU/run (rounds ${v.map((x) => x.toFixed(1)).join(' ')})`).join('; ') + `; ratio ${(med(cpu['arena off']!) / med(cpu.default!)).toFixed(2)}`);
}
