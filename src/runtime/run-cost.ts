/**
 * What a run of a model costs, measured at load: a fixed part (onnxruntime's per-run overhead,
 * which for a tiny model is most of it) and a part per input element. It decides, per request,
 * whether a run is cheap enough for the event loop (`--execution auto`).
 *
 * Why two points: a single measurement scaled by size overestimates larger batches badly (the
 * bench's MLP runs 32 rows in about 1.5× the time of one row: see the onnxruntime in-process rows
 * of BENCHMARKS.md), which would send every stacked batch of a tiny model on a thread hop that
 * costs more than the run.
 */
import { datatypeInfo } from '../core/datatypes.js';
import { hasDynamicBatch, type Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';

/** Warm-up runs per size; the fastest (after caches and allocators settle) is the estimate. */
const WARM_RUNS = 10;

/** Predicted run time as `fixedUs + perElementUs × input elements`. */
export interface RunCost {
  readonly fixedUs: number;
  readonly perElementUs: number;
  /** The fastest warm single-row run, for logs. */
  readonly singleRowUs: number;
  /** Input elements of one row (dynamic dimensions other than the first taken as 1). */
  readonly rowElements: number;
}

/** Predicted µs of a run over `elements` input elements. */
export function predictRunUs(cost: RunCost, elements: number): number {
  return cost.fixedUs + cost.perElementUs * elements;
}

/** All-zero inputs with dynamic dimensions set to `rows` (the first) and 1 (the others). */
export function zeroInputs(signature: Signature, rows: number): Tensor[] | undefined {
  const inputs: Tensor[] = [];
  for (const spec of signature.inputs) {
    if (spec.shape === undefined) return undefined;
    const shape = spec.shape.map((d, i) => (d === -1 ? (i === 0 ? rows : 1) : d));
    const count = shape.reduce((a, b) => a * b, 1);
    inputs.push({ name: spec.name, datatype: spec.datatype, shape, data: datatypeInfo(spec.datatype).allocate(count) });
  }
  return inputs;
}

/** Input elements of a run: what its predicted cost scales with. */
export function inputElements(inputs: readonly Tensor[]): number {
  return inputs.reduce((n, t) => n + t.data.length, 0);
}

/**
 * Measures a model's run cost with `run` (which returns one run's time in µs): single rows, and
 * for models with a batch dimension also `batchRows` rows. Undefined when the model cannot run on
 * zeros (a shape tensor of zeros, say): such a model simply runs in workers.
 */
export async function measureRunCost(
  signature: Signature,
  batchRows: number,
  run: (inputs: Tensor[]) => Promise<number>,
): Promise<RunCost | undefined> {
  const fastest = async (rows: number): Promise<{ us: number; elements: number } | undefined> => {
    let best = Number.POSITIVE_INFINITY;
    let elements = 0;
    for (let i = 0; i < WARM_RUNS; i++) {
      // Fresh inputs each time: a run may transfer (detach) their buffers.
      const inputs = zeroInputs(signature, rows);
      if (!inputs) return undefined;
      elements = inputElements(inputs);
      best = Math.min(best, await run(inputs));
    }
    return { us: best, elements };
  };
  try {
    const single = await fastest(1);
    if (!single || single.elements === 0) return undefined;
    if (hasDynamicBatch(signature) && batchRows > 1) {
      const batch = await fastest(batchRows);
      if (batch && batch.elements > single.elements) {
        const perElementUs = Math.max(0, (batch.us - single.us) / (batch.elements - single.elements));
        return {
          fixedUs: Math.max(0, single.us - perElementUs * single.elements),
          perElementUs,
          singleRowUs: single.us,
          rowElements: single.elements,
        };
      }
    }
    return { fixedUs: 0, perElementUs: single.us / single.elements, singleRowUs: single.us, rowElements: single.elements };
  } catch {
    return undefined;
  }
}
