/**
 * Builds the configuration at the composition root: defaults, then a JSON config file, then
 * `BERTH_*` environment variables, then command-line flags. The only place that reads the
 * environment.
 */
import { readFileSync } from 'node:fs';
import { type Config, type ConfigInput, type ConfigPurpose, buildConfig } from '../core/config.js';
import { Errors } from '../core/errors.js';

type Path = readonly [section: string, key: string, subkey?: string];

/** Environment variables and the config setting each one sets. */
export const ENVIRONMENT: Readonly<Record<string, { path: Path; type: 'string' | 'number' | 'boolean' | 'list' }>> = {
  BERTH_HOST: { path: ['server', 'host'], type: 'string' },
  BERTH_PORT: { path: ['server', 'port'], type: 'number' },
  BERTH_GRPC_PORT: { path: ['server', 'grpcPort'], type: 'number' },
  BERTH_BODY_LIMIT: { path: ['server', 'bodyLimit'], type: 'number' },
  BERTH_OFF_THREAD_BODY_BYTES: { path: ['server', 'offThreadBodyBytes'], type: 'number' },
  BERTH_MAX_RESPONSE_BYTES: { path: ['server', 'maxResponseBytes'], type: 'number' },
  BERTH_REQUEST_TIMEOUT_MS: { path: ['server', 'requestTimeoutMs'], type: 'number' },
  BERTH_MLFLOW_MODEL: { path: ['server', 'mlflowModel'], type: 'string' },
  BERTH_RATE_LIMIT_PER_MINUTE: { path: ['server', 'rateLimitPerMinute'], type: 'number' },
  BERTH_SHUTDOWN_TIMEOUT_MS: { path: ['server', 'shutdownTimeoutMs'], type: 'number' },
  BERTH_DRAIN_DELAY_MS: { path: ['server', 'drainDelayMs'], type: 'number' },
  BERTH_DRAIN_IDLE_MS: { path: ['server', 'drainIdleMs'], type: 'number' },
  BERTH_WORKERS: { path: ['server', 'workers'], type: 'number' },
  BERTH_HEAP_GROWTH_PERCENT: { path: ['server', 'heapGrowthPercent'], type: 'number' },
  BERTH_THREADS: { path: ['runtime', 'threads'], type: 'number' },
  BERTH_INTRA_OP_THREADS: { path: ['runtime', 'intraOpThreads'], type: 'number' },
  BERTH_EXECUTION: { path: ['runtime', 'execution'], type: 'string' },
  BERTH_INLINE_BUDGET_US: { path: ['runtime', 'inlineBudgetUs'], type: 'number' },
  BERTH_MAX_PENDING_RUNS: { path: ['runtime', 'maxPendingRuns'], type: 'number' },
  BERTH_MODEL_MEMORY: { path: ['runtime', 'modelMemory'], type: 'number' },
  BERTH_PINNED_ALIASES: { path: ['runtime', 'pinnedAliases'], type: 'list' },
  BERTH_COLD_LOAD_TIMEOUT_MS: { path: ['runtime', 'coldLoadTimeoutMs'], type: 'number' },
  BERTH_TRAINING_MAX_JOB_MS: { path: ['training', 'maxJobMs'], type: 'number' },
  BERTH_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  BERTH_LOG_STREAM: { path: ['log', 'stream'], type: 'string' },
  BERTH_ADMIN_TOKEN: { path: ['server', 'adminToken'], type: 'string' },
  BERTH_INFERENCE_AUTH: { path: ['server', 'inferenceAuth'], type: 'boolean' },
  BERTH_REGISTRY_POLL_MS: { path: ['registry', 'pollMs'], type: 'number' },
  BERTH_MAX_BATCH_SIZE: { path: ['batching', 'maxBatchSize'], type: 'number' },
  BERTH_MAX_BATCH_WAIT_MS: { path: ['batching', 'maxWaitMs'], type: 'number' },
  BERTH_MAX_QUEUE: { path: ['batching', 'maxQueue'], type: 'number' },
  BERTH_QUEUE_TIMEOUT_MS: { path: ['batching', 'timeoutMs'], type: 'number' },
  BERTH_HOME: { path: ['store', 'home'], type: 'string' },
  BERTH_DATABASE_URL: { path: ['store', 'databaseUrl'], type: 'string' },
  BERTH_DATABASE_POOL_SIZE: { path: ['store', 'databasePoolSize'], type: 'number' },
  BERTH_DATABASE_LOCK_WAIT_MS: { path: ['store', 'databaseLockWaitMs'], type: 'number' },
  BERTH_DATABASE_SCHEMA: { path: ['store', 'databaseSchema'], type: 'string' },
  BERTH_BLOBS: { path: ['store', 'blobs'], type: 'string' },
  BERTH_S3_ENDPOINT: { path: ['store', 's3Endpoint'], type: 'string' },
  BERTH_S3_FORCE_PATH_STYLE: { path: ['store', 's3ForcePathStyle'], type: 'boolean' },
  BERTH_MONITOR_WINDOW_MS: { path: ['monitor', 'windowMs'], type: 'number' },
  BERTH_MONITOR_GAUGE_RANGE_MS: { path: ['monitor', 'gaugeRangeMs'], type: 'number' },
  BERTH_MONITOR_FLUSH_INTERVAL_MS: { path: ['monitor', 'flushIntervalMs'], type: 'number' },
  BERTH_MONITOR_OPEN_WINDOW_FLUSH_MS: { path: ['monitor', 'openWindowFlushMs'], type: 'number' },
  BERTH_MONITOR_REPLICA_ID: { path: ['monitor', 'replicaId'], type: 'string' },
  BERTH_MONITOR_SAMPLE_RATE: { path: ['monitor', 'sampleRate'], type: 'number' },
  BERTH_MONITOR_PAYLOAD_RATE: { path: ['monitor', 'payloads', 'rate'], type: 'number' },
  BERTH_MONITOR_SAMPLE_MAX_PER_MINUTE: { path: ['monitor', 'sampleMaxPerMinute'], type: 'number' },
  BERTH_MONITOR_SAMPLE_RETENTION_DAYS: { path: ['monitor', 'sampleRetentionDays'], type: 'number' },
  BERTH_MONITOR_LOG_RETENTION_DAYS: { path: ['monitor', 'logRetentionDays'], type: 'number' },
  BERTH_MONITOR_WINDOW_RETENTION_DAYS: { path: ['monitor', 'windowRetentionDays'], type: 'number' },
  BERTH_MONITOR_ALERT_INTERVAL_MS: { path: ['monitor', 'alertIntervalMs'], type: 'number' },
  BERTH_MONITOR_WEBHOOKS: { path: ['monitor', 'webhooks'], type: 'string' },
};

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false };

/** Where configuration comes from, besides defaults. */
export interface ConfigSources {
  /** Path of a JSON config file, if any. */
  readonly file?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Settings from flags, already in config shape. */
  readonly flags?: ConfigInput;
}

type Tree = Record<string, Record<string, unknown>>;

/** Merges `source` into `target`: objects key by key at every depth (`monitor.payloads.rate` from the environment keeps the file's `monitor.payloads.models`), anything else replaced. */
function merge(target: Record<string, unknown>, source: unknown): void {
  if (!source || typeof source !== 'object') return;
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      const copy = { ...existing };
      merge(copy, value);
      target[key] = copy;
    } else {
      target[key] = isPlainObject(value) ? { ...value } : value;
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Builds, validates and freezes the configuration from its sources, for `purpose`. */
export function loadConfig(sources: ConfigSources, purpose: ConfigPurpose = {}): Config {
  const merged: Tree = {};
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (error) {
      throw Errors.CONFIG_INVALID.create(`cannot read config file ${sources.file}: ${(error as Error).message}`);
    }
    try {
      merge(merged, JSON.parse(text));
    } catch (error) {
      throw Errors.CONFIG_INVALID.create(`config file ${sources.file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const fromEnv: Tree = {};
  for (const [name, { path, type }] of Object.entries(ENVIRONMENT)) {
    const raw = sources.env[name];
    if (raw === undefined || raw === '') continue;
    // A list is comma-separated: BERTH_PINNED_ALIASES=production,staging.
    const value =
      type === 'number'
        ? Number(raw)
        : type === 'boolean'
          ? BOOLEANS[raw.toLowerCase()]
          : type === 'list'
            ? raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
            : raw;
    if (type === 'number' && !Number.isFinite(value)) throw Errors.CONFIG_INVALID.create(`${name}=${raw} is not a number`);
    if (type === 'boolean' && value === undefined) throw Errors.CONFIG_INVALID.create(`${name}=${raw} is not true or false`);
    const section = (fromEnv[path[0]] ??= {});
    if (path[2] === undefined) section[path[1]] = value;
    else ((section[path[1]] ??= {}) as Record<string, unknown>)[path[2]] = value;
  }
  merge(merged, fromEnv);
  merge(merged, sources.flags);
  return buildConfig(merged, purpose);
}

/** The store flags commands share: --home, --database, --blobs and --config. */
export interface StoreFlagValues {
  readonly home?: string | undefined;
  readonly database?: string | undefined;
  readonly blobs?: string | undefined;
  readonly config?: string | undefined;
}

/**
 * The config of a command from its store flags over the environment (BERTH_CONFIG names the file),
 * with `more` settings from the command's other flags, built for `purpose`.
 */
export function loadStoreConfig(
  flags: StoreFlagValues,
  env: Readonly<Record<string, string | undefined>>,
  more: ConfigInput = {},
  purpose: ConfigPurpose = {},
): Config {
  const store: Record<string, unknown> = {};
  if (flags.home !== undefined) store.home = flags.home;
  if (flags.database !== undefined) store.databaseUrl = flags.database;
  if (flags.blobs !== undefined) store.blobs = flags.blobs;
  return loadConfig({ file: flags.config ?? env.BERTH_CONFIG, env, flags: { ...more, store } as ConfigInput }, purpose);
}
