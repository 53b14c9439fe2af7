/**
 * Keeps the model table in step with the registry: every version an alias points at or a
 * deployment names is served, a model's plain name answers with its default version
 * (core/model-ref.ts: the `production` alias, else the latest version), or with the variants of
 * its deployment, whose shadows see copies of its requests.
 *
 * The registry's change sequence is polled (a one-row read); when it moves, the aliases are read
 * again and the difference applied in an order that never drops a request: new versions are
 * loaded and warmed first, then the aliases and default versions switch over in one step, then
 * versions no longer wanted leave the table and are released, which waits for the requests still
 * running on them. Several server processes sharing a database follow the same moves.
 *
 * Under a memory budget only versions a pinned alias points at are loaded this way; the others go
 * into the table unloaded and load on their first request (runtime/memory-budget.ts).
 */
import type { Logger } from 'pino';
import { type DeploymentPolicy, deploymentVersions } from '../core/deployment.js';
import { Errors, retryLogLevel } from '../core/errors.js';
import { defaultVersion } from '../core/model-ref.js';
import type { DeploymentRecord, Registry } from '../registry/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { MemoryBudget } from '../runtime/memory-budget.js';
import type { ModelTable } from './model-table.js';

/** A version the follower could not load, and why. */
export interface LoadFailure {
  readonly model: string;
  readonly version: string;
  readonly reason: string;
  readonly at: string;
}

/** Options for {@link RegistryFollower}. */
export interface RegistryFollowerOptions {
  readonly registry: Registry;
  readonly table: ModelTable;
  readonly logger: Logger;
  /** How often the registry is polled for changes, in ms. */
  readonly pollMs: number;
  /** Loads and warms a version; the follower puts it in the table. */
  readonly load: (model: string, version: number) => Promise<LoadedVersion>;
  /** With a memory budget: makes a version that loads on its first request, and the aliases whose versions stay loaded. */
  readonly onDemand?: {
    readonly budget: MemoryBudget;
    readonly pinnedAliases: readonly string[];
    readonly unloaded: (model: string, version: number) => Promise<LoadedVersion>;
  };
}

/** Follows the registry's aliases and deployments; see the module comment. */
export class RegistryFollower {
  readonly #options: RegistryFollowerOptions;
  readonly #failures = new Map<string, LoadFailure>();
  #lastSequence = -1;
  #lastSync = 0;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #closed = false;

  constructor(options: RegistryFollowerOptions) {
    this.#options = options;
  }

  /** Loads what the registry says to serve, then starts polling. */
  async start(): Promise<void> {
    await this.sync();
    this.#timer = setInterval(() => void this.#poll(), this.#options.pollMs);
    this.#timer.unref();
  }

  /** Versions that failed to load since their last change, for `/api/server`. */
  failures(): readonly LoadFailure[] {
    return [...this.#failures.values()];
  }

  /** Applies the registry's current aliases now (one sync at a time; a caller waits for it). */
  sync(): Promise<void> {
    // Chain syncs so a change made while one runs is never missed.
    const next = (this.#syncing ?? Promise.resolve()).then(() => this.#sync());
    const tracked = next.finally(() => {
      if (this.#syncing === tracked) this.#syncing = undefined;
    });
    this.#syncing = tracked;
    return tracked;
  }

  /**
   * Loads versions of a model that are not served yet (before a deployment sends them traffic),
   * in turn with syncs so none retires them meanwhile; the next sync keeps those the registry
   * wants. Throws BERTH_DEPLOYMENT_VERSION_UNLOADABLE for one that cannot load.
   */
  prepare(model: string, versions: readonly number[]): Promise<void> {
    const next = (this.#syncing ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const { table, logger } = this.#options;
      for (const version of versions) {
        if (table.get(model, version)) continue;
        try {
          table.put(await this.#options.load(model, version), false);
          logger.info({ model, version }, 'version loaded for a deployment');
        } catch (error) {
          // A version that does not exist is the registry's 404, not a load failure.
          if (Errors.REGISTRY_VERSION_NOT_FOUND.is(error) || Errors.REGISTRY_MODEL_NOT_FOUND.is(error)) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          throw Errors.DEPLOYMENT_VERSION_UNLOADABLE.create(model, version, reason, { cause: error });
        }
      }
    });
    // Later syncs wait for this one whether it loads or fails.
    const settled: Promise<void> = next.catch(() => undefined).finally(() => {
      if (this.#syncing === settled) this.#syncing = undefined;
    });
    this.#syncing = settled;
    return next;
  }

  /** Stops polling and waits for a sync in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#syncing?.catch(() => undefined);
  }

  async #poll(): Promise<void> {
    if (this.#closed || this.#syncing) return;
    try {
      const sequence = await this.#options.registry.changeSequence();
      // Versions that failed to load (a bundle another replica was unpacking, a full disk) are
      // tried again now and then, not only when the registry changes.
      const retry = this.#failures.size > 0 && Date.now() - this.#lastSync > Math.max(2000, this.#options.pollMs * 5);
      if (sequence !== this.#lastSequence || retry) await this.sync();
    } catch (error) {
      this.#options.logger[retryLogLevel(error)]({ err: error }, 'could not poll the registry for changes; serving what was loaded');
    }
  }

  async #sync(): Promise<void> {
    if (this.#closed) return;
    this.#lastSync = Date.now();
    const { registry, table, logger } = this.#options;
    const sequence = await registry.changeSequence();
    const models = await registry.listModels();
    const deployments = new Map((await registry.listDeployments()).map((d) => [d.model, d]));

    // model → version → its aliases, and the version each model's plain name means
    const wanted = new Map<string, Map<number, string[]>>();
    const defaults = new Map<string, number>();
    for (const m of models) {
      const versions = new Map<number, string[]>();
      for (const [alias, number] of Object.entries(m.aliases)) versions.set(number, [...(versions.get(number) ?? []), alias]);
      const plain = defaultVersion(m);
      if (plain !== undefined) {
        defaults.set(m.name, plain);
        if (!versions.has(plain)) versions.set(plain, []);
      }
      // A deployment's variants and shadows are served too.
      const deployment = deployments.get(m.name);
      for (const version of deployment ? deploymentVersions(deployment) : []) if (!versions.has(version)) versions.set(version, []);
      if (versions.size > 0) wanted.set(m.name, versions);
    }

    // 1. Load and warm what is new, before anything switches to it (under a memory budget, only
    // what a pinned alias points at; the rest loads on its first request).
    const onDemand = this.#options.onDemand;
    const pinned = (model: string, version: number) =>
      onDemand !== undefined && (wanted.get(model)?.get(version) ?? []).some((alias) => onDemand.pinnedAliases.includes(alias));
    for (const [model, versions] of wanted) {
      for (const version of versions.keys()) {
        const served = table.get(model, version);
        const key = `${model}:${version}`;
        const started = performance.now();
        try {
          if (served) {
            // A version that became pinned while unloaded loads now.
            if (pinned(model, version) && served.state === 'unloaded') {
              onDemand!.budget.setPinned(served, true);
              await served.load();
            }
            continue;
          }
          if (onDemand && !pinned(model, version)) {
            table.put(await onDemand.unloaded(model, version), false);
            this.#failures.delete(key);
            continue;
          }
          table.put(await this.#options.load(model, version), false);
          this.#failures.delete(key);
          logger.info({ model, version, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) }, 'version loaded from the registry');
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          this.#failures.set(key, { model, version: String(version), reason, at: new Date().toISOString() });
          logger.error({ model, version, err: error }, `could not load ${key}; it is not served`);
        }
      }
    }

    // 2. Switch aliases and default versions over, all in this one synchronous step. An alias
    // whose new version failed to load (the blob store unreachable, say) stays on the version it
    // served, which keeps serving until the new one loads on a later try.
    const kept = new Set<string>();
    for (const [model, versions] of wanted) {
      const before = table.aliases(model);
      const served = new Map<string, number>();
      for (const [version, names] of versions) {
        for (const alias of names) {
          const previous = before.get(alias);
          if (table.get(model, version)) served.set(alias, version);
          else if (previous !== undefined && table.get(model, previous)) {
            served.set(alias, previous);
            kept.add(`${model}:${previous}`);
          }
        }
      }
      table.setAliases(model, served);
      let plain = defaults.get(model);
      const previousPlain = table.defaultVersion(model);
      if (plain !== undefined && !table.get(model, plain) && previousPlain !== undefined && table.get(model, previousPlain)) {
        plain = previousPlain;
        kept.add(`${model}:${previousPlain}`);
      }
      table.setDefault(model, plain);
      table.setDeployment(model, servedDeployment(table, model, deployments.get(model)));
    }

    // Pins follow the aliases: a version no pinned alias points at any more may be unloaded.
    if (onDemand) for (const version of table.all()) onDemand.budget.setPinned(version, pinned(version.name, version.version));

    // 3. Retire what no alias points at any more; release() lets its requests in flight finish.
    const retired: LoadedVersion[] = [];
    for (const model of table.all()) {
      if (!wanted.get(model.name)?.has(model.version) && !kept.has(`${model.name}:${model.version}`)) {
        table.remove(model.name, model.version);
        retired.push(model);
      }
    }
    for (const failure of this.#failures.values()) {
      if (!wanted.get(failure.model)?.has(Number(failure.version))) this.#failures.delete(`${failure.model}:${failure.version}`);
    }
    this.#lastSequence = sequence;
    await Promise.all(
      retired.map((model) =>
        model.release().then(
          () => logger.info({ model: model.name, version: model.version }, 'version released'),
          (error: unknown) => logger.error({ model: model.name, version: model.version, err: error }, 'could not release version'),
        ),
      ),
    );
  }
}

/**
 * The part of a deployment this replica can serve: variants and shadows whose versions are loaded
 * (a variant that failed to load leaves its share to the others, in proportion); undefined when
 * nothing of it is served.
 */
function servedDeployment(table: ModelTable, model: string, deployment: DeploymentRecord | undefined): DeploymentPolicy | undefined {
  if (!deployment) return undefined;
  const variants = deployment.variants.filter((v) => table.get(model, v.version) && v.weight > 0);
  const shadows = deployment.shadows.filter((s) => table.get(model, s.version));
  if (variants.length === 0 && shadows.length === 0) return undefined;
  return { variants, shadows, sticky: deployment.sticky };
}
