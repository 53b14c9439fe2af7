/**
 * Where the monitor finds what a version was trained with: its reference profile (the baseline
 * of drift), training metrics (the baseline of performance), schema and pipeline (the kinds of
 * its columns, its task and class labels). The monitor may not import the registry (a layer
 * above it), so this is the port through which it asks: the composition root passes one built on
 * the registry's public API (src/app/registry-reference-source.ts).
 */
import { type FeatureSchema } from '../core/feature-schema.js';
import { type PipelineSpec } from '../core/pipeline-spec.js';
import { type FeatureSpec, type MonitorSchema } from './feature-spec.js';
import { asCalibration } from './calibration.js';
import { monitorSchemaFor } from './monitor-schema-for.js';
import { outlierReferenceOf } from './outlier-reference.js';
import { type Profile, PROFILE_FORMAT_VERSION } from './profile.js';

/** What the monitor uses of a version's manifest. */
export interface VersionReference {
  readonly model: string;
  readonly version: string;
  /** The reference profile; undefined when the version has none. */
  readonly profile: Profile | undefined;
  /** Metrics measured at training time (`accuracy`, `macroF1`, `rocAuc`, `rmse`, `mae`, `r2`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly schema: FeatureSchema | undefined;
  readonly pipeline: PipelineSpec | undefined;
}

/** Looks up versions' references. */
export interface ReferenceSource {
  /** The version's reference, or undefined when the registry has no such version. */
  version(model: string, version: string): Promise<VersionReference | undefined>;
  /** The version a plain model name means (core/model-ref.ts's defaultVersion); undefined when not registered. */
  defaultVersion(model: string): Promise<string | undefined>;
}

/** Reads a version's reference from its manifest (`berth.json` as stored). */
export function referenceFromManifest(model: string, version: string, manifest: Readonly<Record<string, unknown>>): VersionReference {
  const metrics: Record<string, number> = {};
  const raw = manifest.metrics;
  if (raw !== null && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw)) if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  }
  return {
    model,
    version,
    profile: asProfile(manifest.profile),
    metrics,
    // Validated when the version was registered.
    schema: isObject(manifest.schema) ? (manifest.schema as unknown as FeatureSchema) : undefined,
    pipeline: isObject(manifest.pipeline) ? (manifest.pipeline as unknown as PipelineSpec) : undefined,
  };
}

/**
 * The columns a version declares, for its live windows: those of its schema and pipeline output
 * (monitorSchemaFor, the same specs its reference profile was built from), with the profile's
 * kinds winning where they differ (drift compares a window with the profile sketch by sketch) and
 * the profile's columns added, the profile's outlier checks, and its class labels when it carries a
 * calibration (the window then keeps the probability histograms estimation needs). Undefined when
 * the version declares nothing (the monitor then learns columns as they come).
 */
export function monitorSchemaOf(reference: Pick<VersionReference, 'profile' | 'schema' | 'pipeline'>): MonitorSchema | undefined {
  const declared = reference.schema !== undefined ? monitorSchemaFor(reference.schema, reference.pipeline?.output) : undefined;
  const combine = (fromSchema: readonly FeatureSpec[], fromProfile: readonly FeatureSpec[]): FeatureSpec[] => {
    const specs = new Map(fromSchema.map((f) => [f.name, f]));
    for (const f of fromProfile) {
      if (specs.get(f.name)?.kind !== f.kind) specs.set(f.name, { name: f.name, kind: f.kind });
    }
    return [...specs.values()];
  };
  const specsOf = (profiles: readonly { name: string; kind: FeatureSpec['kind'] }[] | undefined) => (profiles ?? []).map((f) => ({ name: f.name, kind: f.kind }));
  const features = combine(declared?.features ?? [], specsOf(reference.profile?.features));
  const outputs = combine(declared?.outputs ?? [], specsOf(reference.profile?.outputs));
  if (features.length === 0 && outputs.length === 0) return undefined;
  const outliers = reference.profile !== undefined ? outlierReferenceOf(reference.profile) : undefined;
  const classes = reference.profile?.calibration?.labels;
  return {
    features,
    outputs,
    ...(declared?.skipped?.length ? { skipped: declared.skipped } : {}),
    ...(outliers !== undefined ? { outliers } : {}),
    ...(classes !== undefined ? { classes } : {}),
  };
}

/**
 * The columns a version declares, straight from its manifest: what the server passes as
 * MonitorService's `schemaFor` for versions served from the registry.
 *
 * @example
 *   schemaFor: (model, version) => {
 *     const manifest = models.get(model, Number(version))?.manifest;
 *     return manifest ? monitorSchemaFromManifest(manifest) : undefined;
 *   }
 */
export function monitorSchemaFromManifest(manifest: Readonly<Record<string, unknown>>): MonitorSchema | undefined {
  return monitorSchemaOf(referenceFromManifest('', '', manifest));
}

/** The profile in a manifest, when it is one this Berth reads. */
export function asProfile(value: unknown): Profile | undefined {
  if (!isObject(value)) return undefined;
  const profile = value as Partial<Profile>;
  if (profile.formatVersion !== PROFILE_FORMAT_VERSION || !Array.isArray(profile.features) || typeof profile.rows !== 'number') return undefined;
  const { calibration: rawCalibration, ...rest } = profile;
  const calibration = asCalibration(rawCalibration);
  return { ...(rest as Profile), outputs: Array.isArray(profile.outputs) ? profile.outputs : [], ...(calibration !== undefined ? { calibration } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
