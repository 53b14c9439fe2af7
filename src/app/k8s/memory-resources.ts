/**
 * The memory a replica asks Kubernetes for, kept consistent with its model memory budget
 * (`runtime.modelMemory`): the budget bounds the loaded versions only, so the pod needs the
 * budget plus what the server holds besides them.
 */
import { Errors } from '../../core/errors.js';

const MIB = 1024 * 1024;

/**
 * What a server process holds besides its loaded versions (Node, onnxruntime, the metadata and
 * metrics of every version it serves, the monitor's log, the V8 heap's young generation and
 * headroom under load), in bytes: the most BENCHMARKS.md's many-models runs (1,000 models, under
 * concurrent load) measured above their budget, 333 MiB, rounded up.
 */
export const SERVER_BASELINE_BYTES = 384 * MIB;

/** Memory request and limit of a replica, as Kubernetes quantities. */
export interface MemoryResources {
  readonly memory: string;
  readonly memoryLimit: string;
}

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** True for a Kubernetes quantity such as `500m`, `2`, `512Mi` or `4Gi`. */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** The bytes a memory quantity (`512Mi`, `1G`) stands for. */
export function quantityBytes(value: string): number {
  const match = QUANTITY.exec(value);
  if (!match) throw Errors.K8S_OPTION_INVALID.create('--memory', `${JSON.stringify(value)} is not a Kubernetes quantity such as 512Mi or 4Gi`);
  return Number(match[1]) * UNITS[match[2] ?? '']!;
}

/**
 * The memory request and limit of a replica. Without a budget: 1Gi and 2Gi unless given. With a
 * budget: at least the budget plus {@link SERVER_BASELINE_BYTES} requested, and a limit 1 GiB above
 * that for request bodies; a given request or limit below the budget plus the baseline is refused,
 * since the pod would be killed before its budget is used.
 */
export function memoryResources(modelMemory: number, given: { readonly memory?: string | undefined; readonly memoryLimit?: string | undefined }): MemoryResources {
  if (modelMemory === 0) return { memory: given.memory ?? '1Gi', memoryLimit: given.memoryLimit ?? given.memory ?? '2Gi' };
  const needed = modelMemory + SERVER_BASELINE_BYTES;
  for (const [option, value] of [
    ['--memory', given.memory],
    ['--memory-limit', given.memoryLimit],
  ] as const) {
    if (value !== undefined && quantityBytes(value) < needed) {
      throw Errors.K8S_OPTION_INVALID.create(
        option,
        `${value} is below the model memory budget (${mebibytes(modelMemory)}) plus the server's baseline (${mebibytes(SERVER_BASELINE_BYTES)}), ${mebibytes(needed)} in all: raise it, or lower --model-memory`,
      );
    }
  }
  const memory = given.memory ?? mebibytes(Math.max(needed, 1024 * MIB));
  const memoryLimit = given.memoryLimit ?? (given.memory !== undefined ? given.memory : mebibytes(Math.max(quantityBytes(memory) + 1024 * MIB, 2048 * MIB)));
  return { memory, memoryLimit };
}

function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / MIB)}Mi`;
}
