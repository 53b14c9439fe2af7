/**
 * Deployments in the registry: reading a model's traffic policy, and replacing or clearing it in
 * one change transaction with its audit entry, so every replica's registry follower sees the
 * change when the change sequence moves, as it does for aliases.
 */
import type { Kysely } from 'kysely';
import { type DeploymentPolicy, type DeploymentPolicyInput, deploymentVersions, parseDeploymentPolicy } from '../core/deployment.js';
import { Errors } from '../core/errors.js';
import { inputMismatch } from '../core/input-compatibility.js';
import { DEFAULT_ALIAS, defaultVersion } from '../core/model-ref.js';
import { validateAliasName, validateModelName } from '../core/names.js';
import type { StoreTables } from '../store/store-tables.js';
import { moveAlias } from './alias-writer.js';
import type { BundleManifest } from './bundle-manifest.js';
import type { ChangeLog, Log, Trx } from './change-log.js';
import type { AuditActor, DeploymentChange, DeploymentRecord } from './registry-records.js';

/** Options of a deployment change. */
export interface DeploymentChangeOptions {
  readonly actor?: AuditActor;
  /**
   * Refuse with BERTH_DEPLOYMENT_CHANGED unless the stored deployment was written by this change
   * (its `seq`; 0: there must be none), so a read-modify-write never loses another's change.
   */
  readonly expectedSeq?: number;
}

/** Options of {@link DeploymentWriter.clearDeployment}. */
export interface ClearDeploymentOptions extends DeploymentChangeOptions {
  /** Also point this alias at this version in the same change (a rollout's promotion). */
  readonly setAlias?: { readonly alias: string; readonly version: number };
}

type Db = Kysely<StoreTables> | Trx;

/** Reads a model's deployment, or null. */
export async function readDeployment(db: Db, model: string): Promise<DeploymentRecord | null> {
  const row = await db.selectFrom('deployments').selectAll().where('model', '=', model).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Every model's deployment, by model name. */
export async function readDeployments(db: Db): Promise<DeploymentRecord[]> {
  const rows = await db.selectFrom('deployments').selectAll().orderBy('model').execute();
  return rows.map(toRecord);
}

/** The registry's deployment changes. */
export class DeploymentWriter {
  readonly #changes: ChangeLog;
  readonly #now: () => Date;

  constructor(changes: ChangeLog, now: () => Date) {
    this.#changes = changes;
    this.#now = now;
  }

  /**
   * Replaces the model's deployment. Checks the policy (BERTH_DEPLOYMENT_INVALID), that every
   * version it names exists (BERTH_REGISTRY_VERSION_NOT_FOUND), that they all take the same
   * inputs, and, with no variants, that no shadow is the default version. Nothing changes on an
   * error.
   */
  async setDeployment(model: string, input: DeploymentPolicyInput, actor: AuditActor, options: DeploymentChangeOptions = {}): Promise<DeploymentChange> {
    validateModelName(model);
    const policy = parseDeploymentPolicy(model, input);
    return this.#changes.change(actor, async (trx, log) => {
      await requireModel(trx, model);
      const previous = await readDeployment(trx, model);
      checkExpected(model, previous, options.expectedSeq);
      await checkVersions(trx, model, policy);
      const at = this.#now().toISOString();
      const seq = await log({ action: 'deployment.set', model, details: { policy, previous: previous ? policyOf(previous) : null } });
      const values = { policy: JSON.stringify(policy), seq, updated_at: at };
      if (previous) await trx.updateTable('deployments').set(values).where('model', '=', model).execute();
      else await trx.insertInto('deployments').values({ model, ...values }).execute();
      return { deployment: { model, ...policy, updated: at, seq }, previous };
    });
  }

  /**
   * Removes the model's deployment (its default version takes all traffic again); with
   * `setAlias`, also moves that alias in the same change. With no deployment it writes nothing
   * (but the alias) and returns `previous: null`.
   */
  async clearDeployment(model: string, actor: AuditActor, options: ClearDeploymentOptions = {}): Promise<DeploymentChange> {
    validateModelName(model);
    if (options.setAlias) validateAliasName(options.setAlias.alias);
    return this.#changes.change(actor, async (trx, log) => {
      await requireModel(trx, model);
      const previous = await readDeployment(trx, model);
      checkExpected(model, previous, options.expectedSeq);
      if (options.setAlias) {
        const { alias, version } = options.setAlias;
        const exists = await trx.selectFrom('versions').select('number').where('model', '=', model).where('number', '=', version).executeTakeFirst();
        if (!exists) throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
        await moveAlias(trx, log, model, alias, version, this.#now().toISOString());
      }
      if (previous) await removeDeployment(trx, log, previous, 'cleared');
      return { deployment: null, previous };
    });
  }
}

/** Deletes a deployment inside a change, with its audit entry (also used when a version is force-deleted). */
export async function removeDeployment(trx: Trx, log: Log, previous: DeploymentRecord, reason: string): Promise<void> {
  await trx.deleteFrom('deployments').where('model', '=', previous.model).execute();
  await log({ action: 'deployment.clear', model: previous.model, details: { previous: policyOf(previous), reason } });
}

function policyOf(record: DeploymentRecord): DeploymentPolicy {
  return { variants: record.variants, shadows: record.shadows, sticky: record.sticky };
}

function checkExpected(model: string, current: DeploymentRecord | null, expected: number | undefined): void {
  if (expected === undefined) return;
  const actual = current?.seq ?? 0;
  if (actual !== expected) throw Errors.DEPLOYMENT_CHANGED.create(model, expected, actual);
}

async function requireModel(trx: Trx, model: string): Promise<void> {
  const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
  if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
}

/** Every version named exists, all take the same inputs, and no shadow is what the plain name means. */
async function checkVersions(trx: Trx, model: string, policy: DeploymentPolicy): Promise<void> {
  const numbers = deploymentVersions(policy);
  const rows = await trx.selectFrom('versions').select(['number', 'manifest']).where('model', '=', model).where('number', 'in', numbers).execute();
  const manifests = new Map(rows.map((r) => [Number(r.number), JSON.parse(r.manifest) as BundleManifest]));
  for (const number of numbers) if (!manifests.has(number)) throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(number));
  const problems: string[] = [];
  const first = numbers[0]!;
  for (const number of numbers.slice(1)) {
    const mismatch = inputMismatch(manifests.get(first)!.signature, manifests.get(number)!.signature);
    if (mismatch) problems.push(`version ${number} takes inputs ${mismatch.candidate}, version ${first} takes ${mismatch.current}: every version of a deployment must take the same requests`);
  }
  if (policy.variants.length === 0) {
    const plain = await plainVersion(trx, model);
    const shadowed = policy.shadows.find((s) => s.version === plain);
    if (shadowed) problems.push(`version ${shadowed.version} is the model's default version, which answers when there are no variants; it cannot also be its shadow`);
  }
  if (problems.length > 0) throw Errors.DEPLOYMENT_INVALID.create(model, problems.join('; '));
}

async function plainVersion(trx: Trx, model: string): Promise<number | undefined> {
  // One after the other: a transaction holds one connection.
  const latest = await trx.selectFrom('versions').select((eb) => eb.fn.max<number | null>('number').as('latest')).where('model', '=', model).executeTakeFirst();
  const production = await trx.selectFrom('aliases').select('number').where('model', '=', model).where('name', '=', DEFAULT_ALIAS).executeTakeFirst();
  return defaultVersion({
    aliases: production === undefined ? {} : { [DEFAULT_ALIAS]: production.number },
    latestVersion: latest?.latest === null || latest?.latest === undefined ? undefined : Number(latest.latest),
  });
}

function toRecord(row: StoreTables['deployments']): DeploymentRecord {
  const policy = JSON.parse(row.policy) as DeploymentPolicy;
  return { model: row.model, variants: policy.variants, shadows: policy.shadows, sticky: policy.sticky, updated: row.updated_at, seq: Number(row.seq) };
}
