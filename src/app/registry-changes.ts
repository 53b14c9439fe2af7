/**
 * Registry changes that move what a replica serves (registering with aliases, moving or removing
 * an alias, deleting a version an alias pointed at), each followed by bringing this replica up to
 * date at once; other replicas learn of the change when they next poll the registry.
 */
import type { AliasChange, AliasRecord, ChangeOptions, DeleteResult, RegisterOptions, RegisterResult, Registry } from '../registry/index.js';

/** What serves the registry in this process (the server's registry follower); absent in the CLI. */
export interface ReplicaSync {
  /** Loads and swaps to what the registry's aliases now point at. */
  sync(): Promise<void>;
}

/**
 * Changes to the registry, applied to this replica as soon as they are made.
 *
 * @example
 *   const changes = new RegistryChanges(registry, follower);
 *   await changes.setAlias('loans', 'production', 3); // this replica now serves loans:3 as loans@production
 */
export class RegistryChanges {
  readonly #registry: Registry;
  readonly #replica: ReplicaSync | undefined;

  constructor(registry: Registry, replica?: ReplicaSync) {
    this.#registry = registry;
    this.#replica = replica;
  }

  /** Registers a bundle, `.berth` archive or `.onnx` file (see Registry.register). */
  async register(path: string, options: RegisterOptions = {}): Promise<RegisterResult> {
    const result = await this.#registry.register(path, options);
    if (result.aliasesSet.length > 0) await this.sync();
    return result;
  }

  /** Points an alias at a version: promote, roll back (see Registry.setAlias). */
  async setAlias(model: string, alias: string, version: number, options: ChangeOptions = {}): Promise<AliasChange> {
    const change = await this.#registry.setAlias(model, alias, version, options);
    await this.sync();
    return change;
  }

  /** Removes an alias (see Registry.removeAlias). */
  async removeAlias(model: string, alias: string, options: ChangeOptions = {}): Promise<AliasRecord> {
    const removed = await this.#registry.removeAlias(model, alias, options);
    await this.sync();
    return removed;
  }

  /** Deletes a version, and with `force` the aliases pointing at it (see Registry.deleteVersion). */
  async deleteVersion(model: string, version: number, options: ChangeOptions & { readonly force?: boolean } = {}): Promise<DeleteResult> {
    const result = await this.#registry.deleteVersion(model, version, options);
    if (result.aliasesRemoved.length > 0) await this.sync();
    return result;
  }

  /** Brings this replica up to date after aliases moved some other way (a training job registered with one). */
  async sync(): Promise<void> {
    await this.#replica?.sync();
  }
}
