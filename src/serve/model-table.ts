/**
 * Which model versions are live and which version answers for a model's plain name. The data
 * plane reads it on every request; the server's composition writes it as models load, swap and
 * go away.
 */
import type { ModelRuntime } from '../runtime/model-runtime.js';

/** A version of a model that the server can run. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly runtime: ModelRuntime;
  /** Where it came from (a file path or a registry reference), for metadata and logs. */
  readonly source: string;
}

interface Entry {
  defaultVersion: string | undefined;
  readonly versions: Map<string, ServedModel>;
}

/** The live versions of every served model. */
export class ModelTable {
  readonly #models = new Map<string, Entry>();

  /**
   * Makes `model` live. With `isDefault`, it also answers requests that name no version. Returns
   * the version it replaced at the same name and version, if any, for the caller to release.
   */
  put(model: ServedModel, isDefault: boolean): ServedModel | undefined {
    let entry = this.#models.get(model.name);
    if (!entry) {
      entry = { defaultVersion: undefined, versions: new Map() };
      this.#models.set(model.name, entry);
    }
    const previous = entry.versions.get(model.version);
    entry.versions.set(model.version, model);
    if (isDefault || entry.defaultVersion === undefined) entry.defaultVersion = model.version;
    return previous;
  }

  /** Takes a version out of service; returns it for the caller to release. */
  remove(name: string, version: string): ServedModel | undefined {
    const entry = this.#models.get(name);
    const model = entry?.versions.get(version);
    if (!entry || !model) return undefined;
    entry.versions.delete(version);
    if (entry.versions.size === 0) this.#models.delete(name);
    else if (entry.defaultVersion === version) entry.defaultVersion = [...entry.versions.keys()].at(-1);
    return model;
  }

  /** Sets which version answers for the model's plain name. */
  setDefault(name: string, version: string): void {
    const entry = this.#models.get(name);
    if (entry?.versions.has(version)) entry.defaultVersion = version;
  }

  /** The version named, or the default version; undefined when not served. */
  get(name: string, version?: string): ServedModel | undefined {
    const entry = this.#models.get(name);
    if (!entry) return undefined;
    return entry.versions.get(version ?? entry.defaultVersion ?? '');
  }

  /** True when some version of `name` is served. */
  has(name: string): boolean {
    return this.#models.has(name);
  }

  /** Served versions of a model, oldest first by insertion. */
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
