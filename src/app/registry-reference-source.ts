/**
 * The monitor's ReferenceSource answered by the registry's public API: what a version was trained
 * with (profile, metrics, schema, pipeline) and which version a plain model name means.
 */
import { BerthError, Errors } from '../core/errors.js';
import { defaultVersion } from '../core/model-ref.js';
import { type ReferenceSource, type VersionReference, referenceFromManifest } from '../monitor/index.js';
import type { Registry } from '../registry/index.js';

/** Most version references kept in memory; versions are immutable, so a kept one never goes stale. */
const CACHE_LIMIT = 256;

/** Registry errors that mean "no such version" to the monitor, which reports it in its own words. */
const NOT_FOUND = new Set([Errors.REGISTRY_MODEL_NOT_FOUND.code, Errors.REGISTRY_VERSION_NOT_FOUND.code, Errors.REGISTRY_NAME_INVALID.code]);

/**
 * References read through `registry` (a Registry, or RegistryReads where no blob store is open); a
 * version's is cached, which version a plain name means is asked each time (an alias may have moved).
 *
 * @example
 *   const monitor = new MonitorService({ stores, config: config.monitor, references: registryReferenceSource(registry) });
 */
export function registryReferenceSource(registry: Pick<Registry, 'getVersion' | 'getModel'>): ReferenceSource {
  const cache = new Map<string, VersionReference>();
  return {
    async version(model, version) {
      const key = `${model}\u0000${version}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const number = Number(version);
      if (!Number.isSafeInteger(number) || number < 1) return undefined;
      const detail = await orUndefined(registry.getVersion(model, number));
      if (detail === undefined) return undefined;
      const reference = referenceFromManifest(model, version, detail.manifest as unknown as Readonly<Record<string, unknown>>);
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(key, reference);
      return reference;
    },
    async defaultVersion(model) {
      const record = await orUndefined(registry.getModel(model));
      const number = record === undefined ? undefined : defaultVersion(record);
      return number === undefined ? undefined : String(number);
    },
  };
}

async function orUndefined<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof BerthError && NOT_FOUND.has(error.code)) return undefined;
    throw error;
  }
}
