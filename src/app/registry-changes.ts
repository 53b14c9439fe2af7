/**
 * Registry changes that move what a replica serves (registering with aliases, moving or removing
 * an alias, deleting a version an alias pointed at, changing a deployment), each followed by bringing this replica up to
 * date at once; other replicas learn of the change when they next poll the registry.
 */
import { type DeploymentPolicyInput, deploymentVersions, parseDeploymentPolicy } from '../core/deployment.js';
import type {
  AliasChange,
  AliasRecord,
  ChangeOptions,
  ClearDeploymentOptions,
  DeleteResult,
  DeploymentChange,
  DeploymentChangeOptions,
  RegisterOptions,
  RegisterResult,
  Registry,
} from '../registry/index.js';

/** What serves the registry in this process (the server's registry follower); absent in the CLI. */
export interface ReplicaSync {
  /** Loads and swaps to what the registry's aliases and deployments now name. */
  sync(): Promise<void>;
  /**
   * Loads versions of a model (or finds them loaded) before a deployment sends them traffic;
   * throws BERTH_DEPLOYMENT_VERSION_UNLOADABLE for one that cannot load.
   */
  prepare?(model: string, versions: readonly number[]): Promise<void>;
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

  /** Rolls an alias (default production) back to the version it served before (see Registry.rollback). */
  async rollback(model: string, options: ChangeOptions & { readonly alias?: string; readonly reason?: string } = {}): Promise<AliasChange> {
    const change = await this.#registry.rollback(model, options);
    await this.sync();
    return change;
  }

  /** Removes an alias (see Registry.removeAlias). */
  async removeAlias(model: string, alias: string, options: ChangeOptions = {}): Promise<AliasRecord> {
    const removed = await this.#registry.removeAlias(model, alias, options);
    await this.sync();
    return removed;
  }

  /** Deletes a version, and with `force` the aliases pointing at it and a deployment naming it (see Registry.deleteVersion). */
  async deleteVersion(model: string, version: number, options: ChangeOptions & { readonly force?: boolean } = {}): Promise<DeleteResult> {
    const result = await this.#registry.deleteVersion(model, version, options);
    if (result.aliasesRemoved.length > 0 || options.force === true) await this.sync();
    return result;
  }

  /**
   * Replaces a model's deployment (see Registry.setDeployment) once this replica has loaded every
   * version it names, so a version that cannot load is refused (BERTH_DEPLOYMENT_VERSION_UNLOADABLE)
   * before anything changes, and traffic moves here at once.
   */
  async setDeployment(model: string, policy: DeploymentPolicyInput, options: DeploymentChangeOptions = {}): Promise<DeploymentChange> {
    // The shape is checked first, so a malformed policy is refused before anything loads.
    const checked = parseDeploymentPolicy(model, policy);
    await this.#registry.getModel(model);
    await this.#replica?.prepare?.(model, deploymentVersions(checked));
    let change: DeploymentChange;
    try {
      change = await this.#registry.setDeployment(model, checked, options);
    } catch (error) {
      // Refused after loading: the next sync releases what no alias or deployment wants.
      await this.sync().catch(() => undefined);
      throw error;
    }
    await this.sync();
    return change;
  }

  /** Removes a model's deployment, optionally moving an alias in the same change (see Registry.clearDeployment). */
  async clearDeployment(model: string, options: ClearDeploymentOptions = {}): Promise<DeploymentChange> {
    const change = await this.#registry.clearDeployment(model, options);
    await this.sync();
    return change;
  }

  /** Brings this replica up to date after aliases moved some other way (a training job registered with one). */
  async sync(): Promise<void> {
    await this.#replica?.sync();
  }
}
