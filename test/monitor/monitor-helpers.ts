/** Shared pieces of the monitor service tests: a store per backend, events, an in-memory reference source. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely } from 'kysely';
import { registryReferenceSource } from '../../src/app/registry-reference-source.js';
import { type MonitorConfig, MonitorConfigSchema } from '../../src/core/monitor-config.js';
import { buildProfile, type MonitorSchema, type PredictionEvent, type Profile, type ReferenceSource, type VersionReference } from '../../src/monitor/index.js';
import { type JsonObject, packageModel, Registry } from '../../src/registry/index.js';
import { FileBlobStore, type MetadataStore, openMetadataStore, type StoreTables } from '../../src/store/index.js';
import { ONNX_FIXTURES, type StoreBackend, type StoreLocation } from '../helpers/store-backends.js';

/** A monitor schema of two features and a classifier's outputs. */
export const SCHEMA: MonitorSchema = {
  features: [
    { name: 'age', kind: 'numeric', min: 18, max: 100 },
    { name: 'region', kind: 'categorical' },
  ],
  outputs: [
    { name: 'label', kind: 'categorical' },
    { name: 'probability_yes', kind: 'numeric' },
  ],
};

/** A reference profile of SCHEMA: ages 20..69, regions north/south. */
export function referenceProfile(): Profile {
  const rows = 200;
  return buildProfile(
    {
      age: Array.from({ length: rows }, (_, i) => 20 + (i % 50)),
      region: Array.from({ length: rows }, (_, i) => (i % 2 ? 'north' : 'south')),
      label: Array.from({ length: rows }, (_, i) => (i % 3 ? 'no' : 'yes')),
      probability_yes: Array.from({ length: rows }, (_, i) => (i % 3 ? 0.2 : 0.8)),
    },
    SCHEMA,
  );
}

/** References held in memory: one profiled version per model. */
export function memoryReferences(versions: Readonly<Record<string, Partial<VersionReference>>>, defaults: Readonly<Record<string, string>> = {}): ReferenceSource {
  return {
    async version(model, version) {
      const found = versions[`${model}:${version}`];
      return found === undefined ? undefined : { model, version, profile: undefined, metrics: {}, schema: undefined, pipeline: undefined, ...found };
    },
    async defaultVersion(model) {
      return defaults[model];
    },
  };
}

let sequence = 0;

/** A successful one-row prediction of SCHEMA's model. */
export function event(at: number, overrides: Partial<PredictionEvent> = {}): PredictionEvent {
  sequence += 1;
  const age = 20 + (sequence % 50);
  const yes = sequence % 3 === 0;
  return {
    model: 'm',
    version: '1',
    requestId: `r-${sequence}`,
    at,
    protocol: 'predict',
    rows: 1,
    latencyMs: 1 + (sequence % 10),
    outcome: 'success',
    features: { age: [age], region: [sequence % 2 ? 'north' : 'south'] },
    outputs: { label: [yes ? 'yes' : 'no'], probability_yes: [yes ? 0.8 : 0.2] },
    ...overrides,
  };
}

/** A store at a fresh location of the backend; `cleanup` closes every store opened and removes it. */
export async function storeOn(backend: StoreBackend): Promise<{ location: StoreLocation; store: MetadataStore; open(): Promise<MetadataStore>; cleanup(): Promise<void> }> {
  const location = backend.create();
  const opened: MetadataStore[] = [];
  const open = async () => {
    const store = await openMetadataStore({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema });
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    location,
    store,
    open,
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await location.cleanup();
    },
  };
}

/** Rows of a table (for assertions). */
export async function count(db: Kysely<StoreTables>, table: keyof StoreTables): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Registers a real version (a tiny ONNX model) whose manifest carries `profile` and `metrics`, in
 * the registry of `store`, with `aliases`; returns its version number.
 */
export async function registerProfiled(
  store: MetadataStore,
  home: string,
  options: { readonly name: string; readonly profile?: Profile; readonly metrics?: Readonly<Record<string, number>>; readonly aliases?: readonly string[] },
): Promise<number> {
  const registry = new Registry({ store, blobs: new FileBlobStore(join(home, 'blobs')), home, ownsStore: false });
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'berth-bundle-')), 'bundle');
    await packageModel(ONNX_FIXTURES.relu, {
      outDir: dir,
      name: options.name,
      ...(options.profile ? { profile: options.profile as unknown as JsonObject } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    const result = await registry.register(dir, { aliases: options.aliases });
    return result.version.version;
  } finally {
    await registry.close();
  }
}

/** The `monitor` configuration as the composition root validates it, from the settings a test changes. */
export function monitorConfig(settings: Readonly<Record<string, unknown>> = {}): MonitorConfig {
  return MonitorConfigSchema.parse(settings);
}

/** References read through a registry over `store` (as a server reads them); the store stays open. */
export function registryReferences(store: MetadataStore, home: string): ReferenceSource {
  return registryReferenceSource(new Registry({ store, blobs: new FileBlobStore(join(home, 'blobs')), home, ownsStore: false }));
}
