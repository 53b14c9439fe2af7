/**
 * A model's deployment with each version taking part and its live figures side by side: what
 * `GET /api/models/{name}/deployment` answers and `berth deployment` prints.
 */
import type { DeploymentRecord, Registry } from '../registry/index.js';
import { defaultVersion } from '../core/model-ref.js';
import { type MonitorReports, type ShadowComparisons, type VersionFigures, versionFigures } from '../monitor/index.js';

/** One version of a deployment and its figures. */
export interface DeploymentVersionStatus extends VersionFigures {
  /** `variant` takes its weight of the traffic; `shadow` sees copies; `default` takes all (no variants). */
  readonly role: 'variant' | 'shadow' | 'default';
  readonly weight: number | null;
  readonly sample: number | null;
  /** Loaded on this replica; null when asked without a server. */
  readonly served: boolean | null;
  /**
   * For a shadow, how its copies compared with the answers over the same range (its requests,
   * errors, latency and drift above are those of its copies, from its shadow windows); null for
   * the others, or without comparisons.
   */
  readonly comparison: {
    readonly dropped: number;
    /** Share of labels that disagreed; null when no labels were compared. */
    readonly disagreement: number | null;
    /** Mean |shadow − primary| of values; null when none were compared. */
    readonly meanAbsoluteDifference: number | null;
  } | null;
}

/** A model's deployment and its versions' figures. */
export interface DeploymentStatus {
  readonly model: string;
  readonly deployment: DeploymentRecord | null;
  /** What the plain name means without variants: production, else the latest version. */
  readonly defaultVersion: number | null;
  /** Null while monitoring is off. */
  readonly versions: readonly DeploymentVersionStatus[] | null;
}

/** Options of {@link deploymentStatus}. */
export interface DeploymentStatusOptions {
  readonly registry: Pick<Registry, 'getDeployment' | 'getModel'>;
  /** The monitor's reports; absent: no figures. */
  readonly reports?: MonitorReports | undefined;
  /** Shadow comparisons; absent: shadows have no figures of their own. */
  readonly comparisons?: ShadowComparisons | undefined;
  /** Whether this replica serves a version; absent: unknown. */
  readonly served?: ((version: number) => boolean) | undefined;
  /** Range of the figures, e.g. `5m` (default) or `1h`. */
  readonly since?: string | undefined;
}

/** The deployment of `model` with each version's figures. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
export async function deploymentStatus(model: string, options: DeploymentStatusOptions): Promise<DeploymentStatus> {
  const record = await options.registry.getModel(model);
  const deployment = await options.registry.getDeployment(model);
  const plain = defaultVersion(record) ?? null;
  const noVariants = !deployment || deployment.variants.length === 0;
  const parts = [
    ...(noVariants && plain !== null ? [{ version: plain, role: 'default' as const, weight: 100, sample: null }] : []),
    ...(deployment?.variants ?? []).map((v) => ({ version: v.version, role: 'variant' as const, weight: v.weight, sample: null })),
    ...(deployment?.shadows ?? []).map((s) => ({ version: s.version, role: 'shadow' as const, weight: null, sample: s.sample })),
  ];
  const figures = options.reports
    ? await versionFigures(
        options.reports,
        model,
        parts.map((p) => ({ version: p.version, role: p.role === 'shadow' ? ('shadow' as const) : ('served' as const) })),
        options.since,
      )
    : undefined;
  if (!figures) return { model, deployment, defaultVersion: plain, versions: null };
  const versions = await Promise.all(
    parts.map(async (part, i): Promise<DeploymentVersionStatus> => {
      const base = { ...figures[i]!, role: part.role, weight: part.weight, sample: part.sample, served: options.served ? options.served(part.version) : null, comparison: null };
      if (part.role !== 'shadow' || !options.comparisons) return base;
      // A shadow's requests, errors, latency and drift are its copies', from its shadow windows.
      const report = await options.comparisons.report(model, part.version, { from: options.since ?? '5m' });
      return { ...base, comparison: { dropped: report.dropped, disagreement: report.agreement?.disagreement ?? null, meanAbsoluteDifference: report.differences?.meanAbsolute ?? null } };
    }),
  );
  return { model, deployment, defaultVersion: plain, versions };
}
