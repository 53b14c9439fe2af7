/**
 * The configuration schema. Config is built once, at the composition root, from defaults, a
 * config file, `BERTH_*` variables and flags (in that order), validated here, frozen, and passed
 * down; nothing else reads the environment.
 */
import { z } from 'zod';
import { Errors } from './errors.js';
import { isLoopback } from './loopback.js';
import { MonitorConfigSchema } from './monitor-config.js';

const port = z.number().int().min(0).max(65535);

/** The bounds of each batching setting, shared by the defaults and the overrides below. */
const batching = {
  /** Largest number of rows stacked into one run; 1 turns batching off. */
  maxBatchSize: z.number().int().min(1).max(65536),
  /** Longest a batch is held back to fill up, in ms; 0: a lone request never waits. */
  maxWaitMs: z.number().min(0).max(10_000),
  /** Most requests waiting per model; past it requests get 503 with Retry-After. */
  maxQueue: z.number().int().min(1).max(1_000_000),
  /** Longest a request may wait in the queue, in ms, before it fails with 503. */
  timeoutMs: z.number().int().min(1).max(3_600_000),
};

/** Batching and queueing settings of a model (see runtime/batcher.ts), with their defaults. */
export const BatchingSchema = z
  .object({
    maxBatchSize: batching.maxBatchSize.default(64),
    maxWaitMs: batching.maxWaitMs.default(0),
    maxQueue: batching.maxQueue.default(1024),
    timeoutMs: batching.timeoutMs.default(30_000),
  })
  .strict();

/**
 * Some of the batching settings, within the same bounds and with no defaults (what is not set
 * comes from the settings below them): a model's entry in the config, a bundle's `serving`.
 */
export const BatchingOverridesSchema = z.object(batching).partial().strict();

/** The settings a {@link BatchingOverridesSchema} holds. */
export type BatchingOverrides = z.output<typeof BatchingOverridesSchema>;

/** Schema of the whole configuration, with defaults. */
export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        /** Port of the Open Inference Protocol's gRPC service; absent: no gRPC; 0 picks a free port. */
        grpcPort: port.optional(),
        /** Largest request body accepted, in bytes; larger bodies get 413 before they are read. */
        bodyLimit: z.number().int().positive().default(64 * 1024 * 1024),
        /**
         * Open Inference Protocol and KServe V1 JSON bodies of at least this many bytes are decoded,
         * and answers about as large encoded, in worker threads, so they never hold the event loop;
         * smaller ones stay on it, where a thread hop costs more. 0 keeps every body on the loop.
         */
        offThreadBodyBytes: z.number().int().min(0).default(1024 * 1024),
        /**
         * Most bytes of tensor data one answer may hold; larger answers get 413 (refused before
         * the run when the signature fixes the output size). Bounds the memory a request can make
         * the server spend encoding.
         */
        maxResponseBytes: z.number().int().positive().default(64 * 1024 * 1024),
        /**
         * Longest a client may take to send one whole request, in ms; slower ones get 408 and are
         * closed, so connections trickling a byte at a time cannot be held open. Raise it for very
         * large uploads over slow links.
         */
        requestTimeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
        /** How long a graceful shutdown waits for requests in flight, in ms. */
        shutdownTimeoutMs: z.number().int().positive().default(30_000),
        /**
         * After SIGTERM, how long the server keeps serving with readiness false before it stops
         * accepting, in ms, so load balancers take it out of rotation first; a second signal cuts
         * it short. Unset: 5000 when listening beyond loopback, 0 on loopback (no balancer there).
         */
        drainDelayMs: z.number().int().min(0).max(600_000).optional(),
        /**
         * Once the port has closed, how long a keep-alive connection may sit idle before it is
         * closed, in ms: a client sending its next request on it in the meantime is answered (with
         * `Connection: close`) instead of reset.
         */
        drainIdleMs: z.number().int().min(0).max(600_000).default(1000),
        /**
         * Bearer token for `/api/`. Required when listening on anything but loopback; when set on
         * loopback it is required too. Never logged.
         */
        adminToken: z.string().min(8, 'must be at least 8 characters').optional(),
        /**
         * Inference (`/v2`, `/v1`, `/invocations`, gRPC) and `/metrics` need a credential too: an
         * API key with scope `predict` (`read` for metadata and metrics) or the admin token.
         * Health probes stay open.
         */
        inferenceAuth: z.boolean().default(false),
        /** Origins (`https://app.example`) whose pages may change things through `/api/` (others are refused). */
        allowedOrigins: z.array(z.url()).max(64).default([]),
        /** Host names accepted besides loopback ones while listening on loopback (DNS rebinding defence). */
        allowedHosts: z.array(z.string().trim().min(1)).max(64).default([]),
        /**
         * Requests a client may make per minute (per bearer token, else per address; health,
         * readiness and metrics are not counted); past it, 429 with Retry-After. 0 turns it off.
         */
        rateLimitPerMinute: z.number().int().min(0).max(100_000_000).default(0),
        /** The model MLflow's `/invocations` answers for (its production version); default the only model served. */
        mlflowModel: z.string().min(1).optional(),
        /** Largest model upload accepted by `POST /api/models`, in bytes. */
        uploadLimit: z.number().int().positive().default(2 * 1024 * 1024 * 1024),
        /** Server processes sharing the port (node:cluster); 1 runs in this process. */
        workers: z.number().int().min(1).max(64).default(1),
        /**
         * How far the JavaScript heap may grow past what a full collection left alive before the
         * next one, in percent. V8's own heuristic (`0` keeps it) lets the garbage of large
         * requests double the resident memory of a busy server; 50 keeps it close to the live
         * size at no measurable cost in throughput (see BENCHMARKS.md).
         */
        heapGrowthPercent: z.number().int().min(0).max(1000).default(50),
      })
      .strict()
      .prefault({}),
    runtime: z
      .object({
        /** Inference worker threads per server process; `0` means one per CPU core. */
        threads: z.number().int().min(0).max(256).default(0),
        /** onnxruntime intra-op threads per session in each worker. */
        intraOpThreads: z.number().int().min(1).max(256).default(1),
        /**
         * Where a request runs: `worker` always in a worker thread; `inline` always on the event
         * loop; `auto` inline only when the model's measured cost for the request is under
         * `inlineBudgetUs` (tiny models, where a thread hop costs more than the run).
         */
        execution: z.enum(['auto', 'worker', 'inline']).default('auto'),
        inlineBudgetUs: z.number().int().min(0).default(200),
        /**
         * Most runs the inference workers hold at once (running, or waiting in a worker's queue),
         * across every model; past it a request gets 503 with Retry-After. `0` means eight per
         * worker thread. Each model's own queue is bounded by `batching.maxQueue`.
         */
        maxPendingRuns: z.number().int().min(0).max(1_000_000).default(0),
        /**
         * Most bytes the loaded versions of a server process may hold together, by their estimates
         * (runtime/memory-budget.ts); `0` means no budget: every served version stays loaded. With
         * a budget, versions load on their first request and the least recently used idle ones are
         * unloaded to make room.
         */
        modelMemory: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        /** Aliases whose versions are loaded at start and never unloaded to make room (with `modelMemory`). */
        pinnedAliases: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be an alias name')).max(64).default([]),
        /** How long a request waits for its version to load when it was not in memory, in ms (with `modelMemory`). */
        coldLoadTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    registry: z
      .object({
        /** How often a server polls the registry for alias moves, in ms. */
        pollMs: z.number().int().min(50).max(60_000).default(1000),
      })
      .strict()
      .prefault({}),
    /** Deployments: how shadows take their copies of requests. */
    deployments: z
      .object({
        /** Copies one shadow may hold, running or waiting; past it copies are dropped (and counted). */
        shadowQueue: z.number().int().min(1).max(100_000).default(256),
        /** Copies one shadow runs at once (its batcher stacks them). */
        shadowConcurrency: z.number().int().min(1).max(1024).default(16),
      })
      .strict()
      .prefault({}),
    /** Training jobs started through the management API (`POST /api/training`). */
    training: z
      .object({
        /** Jobs this replica trains at once, each in its own worker thread. */
        maxConcurrentJobs: z.number().int().min(1).max(64).default(1),
        /** Jobs waiting in the database for a free trainer on any replica; past it new jobs get 503. */
        maxQueuedJobs: z.number().int().min(0).max(10_000).default(16),
        /** Largest CSV upload, in bytes; a larger upload is stopped as soon as it passes the limit. */
        maxUploadBytes: z.number().int().positive().default(256 * 1024 * 1024),
        /** Finished jobs kept in the database with their bundles, across replicas; the oldest are dropped first. */
        keepJobs: z.number().int().min(1).max(10_000).default(50),
        /**
         * A replica renews its lease on each job it runs every third of this, in ms; a running job
         * whose lease is older (its replica died) is marked failed by any replica that sees it.
         */
        leaseMs: z.number().int().min(300).max(3_600_000).default(30_000),
        /** How often a replica looks for queued jobs and event streams look for changes made elsewhere, in ms. */
        pollMs: z.number().int().min(10).max(60_000).default(500),
        /** Heap limit of one training worker, in MiB: a job past it fails and the server carries on. */
        maxMemoryMb: z.number().int().min(64).default(4096),
        /** Longest one job may train, in ms: past it its worker is stopped and the job fails (BERTH_TRAINING_TIMEOUT). */
        maxJobMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).default(3_600_000),
        /**
         * Keep a registered version's training data (the CSV, and `berth train --validation`'s file)
         * in the blob store, by digest, so that retraining can start from it: the default of
         * `berth train --keep-data` and of training jobs.
         */
        keepData: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Batching and queueing defaults for every model; `models.<name>.batching` overrides them. */
    batching: BatchingSchema.prefault({}),
    /** Settings of individual models, by model name. */
    models: z.record(z.string(), z.object({ batching: BatchingOverridesSchema.optional() }).strict()).default({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Where JSON logs go: standard error (status lines keep standard output), or standard output (containers). */
        stream: z.enum(['stderr', 'stdout']).default('stderr'),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** BERTH_HOME: holds berth.db (SQLite), blobs/ and unpacked bundles. */
        home: z.string().min(1).default('.berth'),
        /** `postgres://…` selects PostgreSQL; `sqlite:file.db` another SQLite file; unset: BERTH_HOME/berth.db. */
        databaseUrl: z.string().min(1).optional(),
        /**
         * Most connections one process opens to PostgreSQL (its pool's bound; idle ones close after
         * 10 s). Size `max_connections` for replicas × processes × this (README, Scaling).
         */
        databasePoolSize: z.number().int().min(1).max(1000).default(10),
        /**
         * How long a statement waits for another process's write lock on a SQLite database
         * (`berth serve` and CLI commands sharing one BERTH_HOME) before BERTH_STORE_LOCKED, in ms.
         */
        databaseLockWaitMs: z.number().int().min(0).max(3_600_000).default(30_000),
        /** PostgreSQL schema for Berth's tables; default the connection's current schema. */
        databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').optional(),
        /** `s3://bucket/prefix` for S3-compatible object storage, or a folder; unset: BERTH_HOME/blobs. */
        blobs: z.string().min(1).optional(),
        /** Endpoint of an S3-compatible server (MinIO, Ceph); unset: AWS. Region and credentials come from the AWS SDK's provider chain. */
        s3Endpoint: z.url({ protocol: /^https?$/ }).optional(),
        /** Address buckets as `endpoint/bucket`, which most S3-compatible servers need. */
        s3ForcePathStyle: z.boolean().optional(),
      })
      .strict()
      .prefault({}),
    /** Windows of sketches, prediction log, samples, drift settings, alert rules and webhooks (see monitor-config.ts). */
    monitor: MonitorConfigSchema.prefault({}),
  })
  .strict();

/** How long a server drains after SIGTERM before it stops accepting, in ms (see server.drainDelayMs). */
export function drainDelayMs(config: { readonly server: { readonly host: string; readonly drainDelayMs?: number | undefined } }): number {
  return config.server.drainDelayMs ?? (isLoopback(config.server.host) ? 0 : 5000);
}

/** What the configuration is for, where that adds rules across fields. */
export interface ConfigPurpose {
  /**
   * The process answers the management API (`berth serve` of a registry). Beyond loopback it
   * then needs an admin token: a registry anyone on the network can change is not a default
   * Berth ships.
   */
  readonly managementApi?: boolean;
}

const ManagementServerSchema = ConfigSchema.superRefine((config, context) => {
  const { host, adminToken } = config.server;
  if (adminToken === undefined && !isLoopback(host)) {
    context.addIssue({
      code: 'custom',
      path: ['server', 'adminToken'],
      message: `is required when the server listens on ${host}, beyond this machine: set BERTH_ADMIN_TOKEN (or server.adminToken in the config file; there is no flag, because a token on the command line shows in process lists)`,
    });
  }
});

/** The validated, frozen configuration. */
export type Config = DeepReadonly<z.output<typeof ConfigSchema>>;
/** What a config file, the environment or flags may set: any part of the config. */
export type ConfigInput = z.input<typeof ConfigSchema>;

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * Validates merged config input, fills defaults and deep-freezes the result. Throws
 * BERTH_CONFIG_INVALID listing every problem with its path.
 */
export function buildConfig(input: unknown, purpose: ConfigPurpose = {}): Config {
  const schema = purpose.managementApi ? ManagementServerSchema : ConfigSchema;
  const result = schema.safeParse(input ?? {});
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
