/**
 * The configuration schema. Config is built once, at the composition root, from defaults, a
 * config file, `BERTH_*` variables and flags (in that order), validated here, frozen, and passed
 * down; nothing else reads the environment.
 */
import { z } from 'zod';
import { Errors } from './errors.js';

const port = z.number().int().min(0).max(65535);

/** Schema of the whole configuration, with defaults. */
export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        /** Largest request body accepted, in bytes; larger bodies get 413 before they are read. */
        bodyLimit: z.number().int().positive().default(64 * 1024 * 1024),
        /** How long a graceful shutdown waits for requests in flight, in ms. */
        shutdownTimeoutMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
    runtime: z
      .object({
        /** Inference worker threads; `0` means one per CPU core. */
        workers: z.number().int().min(0).max(256).default(0),
        /** onnxruntime intra-op threads per session in each worker. */
        intraOpThreads: z.number().int().min(1).max(256).default(1),
        /**
         * Where a request runs: `worker` always in a worker thread; `inline` always on the event
         * loop; `auto` inline only when the model's measured cost for the request is under
         * `inlineBudgetUs` (tiny models, where a thread hop costs more than the run).
         */
        execution: z.enum(['auto', 'worker', 'inline']).default('auto'),
        inlineBudgetUs: z.number().int().min(0).default(200),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The validated, frozen configuration. */
export type Config = DeepReadonly<z.output<typeof ConfigSchema>>;
/** What a config file, the environment or flags may set: any part of the config. */
export type ConfigInput = z.input<typeof ConfigSchema>;

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * Validates merged config input, fills defaults and deep-freezes the result. Throws
 * BERTH_CONFIG_INVALID listing every problem with its path.
 */
export function buildConfig(input: unknown): Config {
  const result = ConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw Errors.CONFIG_INVALID.create(problems);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
