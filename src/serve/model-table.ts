/**
 * Which model versions are live, which aliases point at them, and which version answers for a
 * model's plain name. The data plane reads it on every request; the server's composition (or the
 * registry follower) writes it as versions load, swap and go away.
 */
import type { FeatureSchema } from '../core/feature-schema.js';
import type { Pipeline } from '../runtime/pipeline.js';
import type { ModelRuntime } from '../runtime/model-runtime.js';

/** What a registry version brings beyond its ONNX model. */
export interface ServedBundle {
  readonly digest: string;
  readonly schema?: FeatureSchema;
  /** The compiled pipeline, when the bundle has a schema and pipeline. */
  readonly pipeline?: Pipeline;
  /** The bundle manifest as stored (metrics, profile, lineage, …). */
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A version of a model that the server can run. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly runtime: ModelRuntime;
  /** Where it came from (a file path or a registry reference), for metadata and logs. */
  readonly source: string;
  /** Set for versions served from the registry. */
  readonly bundle?: ServedBundle;
}

interface Entry {
  defaultVersion: string | undefined;
  readonly versions: Map<string, ServedModel>;
  aliases: ReadonlyMap<string, string>;
}

/** The live versions of every served model. */
export class ModelTable {
  readonly #models = new Map<string, Entry>();

  #entry(name: string): Entry {
    let entry = this.#models.get(name);
    if (!entry) {
      entry = { defaultVersion: undefined, versions: new Map(), aliases: new Map() };
      this.#models.set(name, entry);
    }
    return entry;
  }

  /**
   * Makes `model` live. With `isDefault`, it also answers requests that name no version. Returns
   * the version it replaced at the same name and version, if any, for the caller to release.
   */
  put(model: ServedModel, isDefault: boolean): ServedModel | undefined {
    const entry = this.#entry(model.name);
    const previous = entry.versions.get(model.version);
    entry.versions.set(model.version, model);
    if (isDefault) entry.defaultVersion = model.version;
    return previous;
  }

  /** Takes a version out of service; returns it for the caller to release. */
  remove(name: string, version: string): ServedModel | undefined {
    const entry = this.#models.get(name);
    const model = entry?.versions.get(version);
    if (!entry || !model) return undefined;
    entry.versions.delete(version);
    if (entry.defaultVersion === version) entry.defaultVersion = undefined;
    if (entry.versions.size === 0) this.#models.delete(name);
    return model;
  }

  /** Sets which version answers for the model's plain name (undefined: none does). */
  setDefault(name: string, version: string | undefined): void {
    const entry = this.#models.get(name);
    if (entry) entry.defaultVersion = version !== undefined && entry.versions.has(version) ? version : undefined;
  }

  /** Replaces the model's aliases (alias → version), as the registry has them. */
  setAliases(name: string, aliases: ReadonlyMap<string, string>): void {
    const entry = this.#models.get(name);
    if (entry) entry.aliases = new Map(aliases);
  }

  /** The version named, or the default version; undefined when not served. */
  get(name: string, version?: string): ServedModel | undefined {
    const entry = this.#models.get(name);
    if (!entry) return undefined;
    const wanted = version ?? entry.defaultVersion;
    return wanted === undefined ? undefined : entry.versions.get(wanted);
  }

  /** The version an alias of the model points at, if that version is served. */
  getByAlias(name: string, alias: string): ServedModel | undefined {
    const entry = this.#models.get(name);
    const version = entry?.aliases.get(alias);
    return version === undefined ? undefined : entry!.versions.get(version);
  }

  /** The default version's number, if the model has one. */
  defaultVersion(name: string): string | undefined {
    return this.#models.get(name)?.defaultVersion;
  }

  /** Aliases of the model, alias → version. */
  aliases(name: string): ReadonlyMap<string, string> {
    return this.#models.get(name)?.aliases ?? new Map();
  }

  /** True when some version of `name` is served. */
  has(name: string): boolean {
    return this.#models.has(name);
  }

  /** Served versions of a model, in the order they were put. */
  versions(name: string): readonly ServedModel[] {
    return [...(this.#models.get(name)?.versions.values() ?? [])];
  }

  /** Names of every served model. */
  names(): readonly string[] {
    return [...this.#models.keys()];
  }

  /** Every served version of every model. */
  all(): readonly ServedModel[] {
    return [...this.#models.values()].flatMap((e) => [...e.versions.values()]);
  }
}
