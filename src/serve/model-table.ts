/**
 * Which loaded versions are live, which aliases point at them, and which version answers for a
 * model's plain name. The data plane reads it on every request; the server's composition (or the
 * registry follower) writes it as versions load, swap and go away. Versions are numbers here.
 */
import type { DeploymentPolicy } from '../core/deployment.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';

interface Entry {
  defaultVersion: number | undefined;
  readonly versions: Map<number, LoadedVersion>;
  aliases: ReadonlyMap<string, number>;
  /** The model's traffic policy, over versions in `versions` only. */
  deployment: DeploymentPolicy | undefined;
}

/** The live versions of every served model. */
export class ModelTable {
  readonly #models = new Map<string, Entry>();

  #entry(name: string): Entry {
    let entry = this.#models.get(name);
    if (!entry) {
      entry = { defaultVersion: undefined, versions: new Map(), aliases: new Map(), deployment: undefined };
      this.#models.set(name, entry);
    }
    return entry;
  }

  /**
   * Makes `version` live. With `isDefault`, it also answers requests that name no version. Returns
   * the version it replaced at the same name and number, if any, for the caller to release.
   */
  put(version: LoadedVersion, isDefault: boolean): LoadedVersion | undefined {
    const entry = this.#entry(version.name);
    const previous = entry.versions.get(version.version);
    entry.versions.set(version.version, version);
    if (isDefault) entry.defaultVersion = version.version;
    return previous;
  }

  /** Takes a version out of service; returns it for the caller to release. */
  remove(name: string, number: number): LoadedVersion | undefined {
    const entry = this.#models.get(name);
    const version = entry?.versions.get(number);
    if (!entry || !version) return undefined;
    entry.versions.delete(number);
    if (entry.defaultVersion === number) entry.defaultVersion = undefined;
    if (entry.versions.size === 0) this.#models.delete(name);
    return version;
  }

  /** Sets which version answers for the model's plain name (undefined: none does). */
  setDefault(name: string, number: number | undefined): void {
    const entry = this.#models.get(name);
    if (entry) entry.defaultVersion = number !== undefined && entry.versions.has(number) ? number : undefined;
  }

  /** Replaces the model's aliases (alias → version), as the registry has them. */
  setAliases(name: string, aliases: ReadonlyMap<string, number>): void {
    const entry = this.#models.get(name);
    if (entry) entry.aliases = new Map(aliases);
  }

  /**
   * Sets the model's deployment (undefined: none). The caller names only versions it has put in
   * the table, and takes the deployment away before it removes one of them.
   */
  setDeployment(name: string, deployment: DeploymentPolicy | undefined): void {
    const entry = this.#models.get(name);
    if (entry) entry.deployment = deployment;
  }

  /** The model's deployment, if it has one. */
  deployment(name: string): DeploymentPolicy | undefined {
    return this.#models.get(name)?.deployment;
  }

  /** The version numbered, or the default version; undefined when not served. */
  get(name: string, number?: number): LoadedVersion | undefined {
    const entry = this.#models.get(name);
    if (!entry) return undefined;
    const wanted = number ?? entry.defaultVersion;
    return wanted === undefined ? undefined : entry.versions.get(wanted);
  }

  /** The version an alias of the model points at, if that version is served. */
  getByAlias(name: string, alias: string): LoadedVersion | undefined {
    const entry = this.#models.get(name);
    const number = entry?.aliases.get(alias);
    return number === undefined ? undefined : entry!.versions.get(number);
  }

  /** The default version's number, if the model has one. */
  defaultVersion(name: string): number | undefined {
    return this.#models.get(name)?.defaultVersion;
  }

  /** Aliases of the model, alias → version. */
  aliases(name: string): ReadonlyMap<string, number> {
    return this.#models.get(name)?.aliases ?? new Map();
  }

  /** True when some version of `name` is served. */
  has(name: string): boolean {
    return this.#models.has(name);
  }

  /** Served versions of a model, in the order they were put. */
  versions(name: string): readonly LoadedVersion[] {
    return [...(this.#models.get(name)?.versions.values() ?? [])];
  }

  /** Names of every served model. */
  names(): readonly string[] {
    return [...this.#models.keys()];
  }

  /** Every served version of every model. */
  all(): readonly LoadedVersion[] {
    return [...this.#models.values()].flatMap((e) => [...e.versions.values()]);
  }
}
