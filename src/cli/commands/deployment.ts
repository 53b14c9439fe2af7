/**
 * `berth traffic`, `berth shadow` and `berth deployment`: a model's deployment changed or shown
 * from the command line, on the registry's database, or with `remote` through a running server's
 * API. Each change reads the deployment, edits it (app/deployment-edits.ts), checks every version
 * it names can load (the server does that itself when remote), and writes it back only if no one
 * changed it meanwhile; servers follow within two seconds.
 */
import type { Config } from '../../core/config.js';
import { type DeploymentVariant, type StickyKey, deploymentVersions, parseDeploymentPolicy } from '../../core/deployment.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import { checkVersionsLoad } from '../../app/check-versions-load.js';
import { type DeploymentStatus, deploymentStatus } from '../../app/deployment-status.js';
import { withShadow, withVariants, withoutShadow } from '../../app/deployment-edits.js';
import { registryReferenceSource } from '../../app/registry-reference-source.js';
import { MonitorReports, ShadowComparisons } from '../../monitor/index.js';
import type { AuditActor, DeploymentChange, DeploymentRecord, Registry } from '../../registry/index.js';
import { ShadowComparisonStore, monitorReportStores } from '../../store/index.js';
import { type RemoteServer, remoteJson } from '../remote-json.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth traffic`. */
export interface TrafficCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** `version=weight` each, e.g. `['1=80', '2=20']`; empty with `clear`. */
  readonly split: readonly string[];
  readonly clear?: boolean | undefined;
  readonly stickyHeader?: string | undefined;
  readonly stickyFeature?: string | undefined;
  readonly actor?: AuditActor | undefined;
  /** Change it through this server's API instead of the database (`--url`, `--token`). */
  readonly remote?: RemoteServer | undefined;
}

/** Parses `version=weight` arguments. Throws BERTH_DEPLOYMENT_INVALID naming a malformed one. */
export function parseSplit(model: string, split: readonly string[]): DeploymentVariant[] {
  return split.map((part) => {
    const match = /^\s*(\d+)\s*=\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(part);
    if (!match) throw Errors.DEPLOYMENT_INVALID.create(model, `'${part}' is not version=weight (e.g. 1=80 2=20)`);
    return { version: parseVersionNumber(match[1]!, `${model}:${match[1]}`), weight: Number(match[2]) };
  });
}

/** Splits a model's traffic between versions (shadows kept), or clears the split with `clear`. */
export async function trafficCommand(options: TrafficCommandOptions): Promise<DeploymentChange> {
  const { model } = options;
  if (options.clear && options.split.length > 0) throw Errors.DEPLOYMENT_INVALID.create(model, 'give either version=weight pairs or --clear, not both');
  if (!options.clear && options.split.length === 0) throw Errors.DEPLOYMENT_INVALID.create(model, 'give version=weight pairs (e.g. 1=80 2=20), or --clear');
  if (options.stickyHeader !== undefined && options.stickyFeature !== undefined) throw Errors.DEPLOYMENT_INVALID.create(model, 'give --sticky-header or --sticky-feature, not both');
  const variants = options.clear ? [] : parseSplit(model, options.split);
  const sticky: StickyKey | undefined =
    options.stickyHeader !== undefined ? { kind: 'header', name: options.stickyHeader } : options.stickyFeature !== undefined ? { kind: 'feature', name: options.stickyFeature } : undefined;
  return change(options, (current) => withVariants(current, variants, sticky));
}

/** Options of `berth shadow`. */
export interface ShadowCommandOptions {
  readonly config: Config;
  readonly model: string;
  readonly version: string | number;
  /** Share of requests copied, (0, 1]; default 1. */
  readonly sample?: number | undefined;
  readonly remove?: boolean | undefined;
  readonly actor?: AuditActor | undefined;
  /** Change it through this server's API instead of the database (`--url`, `--token`). */
  readonly remote?: RemoteServer | undefined;
}

/** Adds a shadow to a model's deployment (or changes its sample), or removes it. */
export async function shadowCommand(options: ShadowCommandOptions): Promise<DeploymentChange> {
  const { model } = options;
  const version = typeof options.version === 'number' ? options.version : parseVersionNumber(options.version, `${model}:${options.version}`);
  if (options.remove && options.sample !== undefined) throw Errors.DEPLOYMENT_INVALID.create(model, 'give --sample or --remove, not both');
  return change(options, (current) => (options.remove ? withoutShadow(model, current, version) : withShadow(current, { version, sample: options.sample ?? 1 })));
}

/** Reads, edits, checks and writes a deployment (null: clear it), refusing if it changed meanwhile. */
async function change(
  options: { readonly config: Config; readonly model: string; readonly actor?: AuditActor | undefined; readonly remote?: RemoteServer | undefined },
  edit: (current: DeploymentRecord | null) => ReturnType<typeof withVariants>,
): Promise<DeploymentChange> {
  const { model } = options;
  if (options.remote) return changeRemote(options.remote, model, edit);
  return withRegistry(options.config, options.actor, async (registry: Registry) => {
    const current = await registry.getDeployment(model);
    const policy = edit(current);
    const expectedSeq = current?.seq ?? 0;
    if (policy === null) return registry.clearDeployment(model, { expectedSeq });
    const checked = parseDeploymentPolicy(model, policy);
    await checkVersionsLoad(registry, model, deploymentVersions(checked));
    return registry.setDeployment(model, checked, { expectedSeq });
  });
}

/** The same change through a server's API: the server checks the versions load before it writes. */
async function changeRemote(remote: RemoteServer, model: string, edit: (current: DeploymentRecord | null) => ReturnType<typeof withVariants>): Promise<DeploymentChange> {
  const path = deploymentPath(model);
  const status = (await remoteJson(remote, path, {}, `reading the deployment of ${model}`)) as DeploymentStatus;
  const current = status.deployment;
  const policy = edit(current);
  if (policy === null) return (await remoteJson(remote, path, { method: 'DELETE' }, `clearing the deployment of ${model}`)) as DeploymentChange;
  const body = JSON.stringify({ ...policy, expectedSeq: current?.seq ?? 0 });
  return (await remoteJson(remote, path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body }, `changing the deployment of ${model}`)) as DeploymentChange;
}

function deploymentPath(model: string): string {
  return `/api/models/${encodeURIComponent(model)}/deployment`;
}

/** Options of `berth deployment`. */
export interface DeploymentCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** Range of the figures, e.g. `5m` (default), `1h`. */
  readonly since?: string | undefined;
  /** Ask this server instead of the database; its figures include the windows still in its memory. */
  readonly remote?: RemoteServer | undefined;
}

/** A model's deployment and each version's figures, from the metadata database (every replica's windows) or a server. */
export async function deploymentCommand(options: DeploymentCommandOptions): Promise<DeploymentStatus> {
  const { config } = options;
  if (options.remote) {
    const query = options.since !== undefined ? `?${new URLSearchParams({ since: options.since }).toString()}` : '';
    return (await remoteJson(options.remote, `${deploymentPath(options.model)}${query}`, {}, `reading the deployment of ${options.model}`)) as DeploymentStatus;
  }
  return withRegistry(config, undefined, async (registry) => {
    const { method, correction, datasetDriftShare } = config.monitor.drift;
    const reports = new MonitorReports({
      stores: monitorReportStores(registry.store),
      references: registryReferenceSource(registry),
      windowMs: config.monitor.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
    });
    const comparisons = new ShadowComparisons({
      store: new ShadowComparisonStore(registry.store.db),
      windowMs: config.monitor.windowMs,
      // This process only reads: it writes no comparisons of its own.
      replica: 'cli',
      flushMs: 0,
      retentionMs: config.monitor.windowRetentionDays * 86_400_000,
      onError: () => undefined,
    });
    try {
      return await deploymentStatus(options.model, { registry, reports, comparisons, since: options.since });
    } finally {
      await comparisons.close();
    }
  });
}
