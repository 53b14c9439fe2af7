/**
 * The shapes of the public HTTP API as docs/api.md describes them. The dashboard speaks only that
 * API and imports nothing from the server (design.md), so these are written out here; fields the
 * dashboard does not read are left out, and optional ones are marked so an older or newer server
 * still renders.
 */

/** A model in summary (`GET /api/models`). */
export interface ModelRecord {
  readonly name: string;
  readonly created: string;
  readonly versions: number;
  readonly latestVersion: number | null;
  /** Alias name → version number. */
  readonly aliases: Readonly<Record<string, number>>;
}

/** A version without its manifest. */
export interface VersionRecord {
  readonly model: string;
  readonly version: number;
  readonly digest: string;
  readonly size: number;
  readonly created: string;
  readonly source: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly string[];
}

/** A tensor of a signature. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape?: readonly number[];
}

/** One named feature of a schema. */
export interface FeatureSpec {
  readonly name: string;
  readonly type: 'number' | 'integer' | 'boolean' | 'category' | 'string';
  readonly required: boolean;
  readonly description?: string;
  readonly min?: number;
  readonly max?: number;
  readonly categories?: readonly string[];
  readonly outOfRange?: string;
  readonly maxLength?: number;
}

/** The named, typed features a caller sends. */
export interface FeatureSchema {
  readonly format: string;
  readonly features: readonly FeatureSpec[];
}

/** A numeric feature's reference statistics. */
export interface NumericProfile {
  readonly name: string;
  readonly kind: 'numeric';
  readonly count: number;
  readonly missing: number;
  readonly n: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly quantiles?: readonly { readonly q: number; readonly value: number }[];
  /** counts[i] values in [edges[i], edges[i+1]). */
  readonly histogram?: { readonly edges: readonly number[]; readonly counts: readonly number[] };
  readonly sketch?: SketchData;
}

/** A categorical feature's reference statistics. */
export interface CategoricalProfile {
  readonly name: string;
  readonly kind: 'categorical';
  readonly count: number;
  readonly missing: number;
  readonly n: number;
  /** [category, count], most frequent first. */
  readonly frequencies: readonly (readonly [string, number])[];
  readonly other?: number;
  readonly sketch?: SketchData;
}

/** One feature's (or output's) reference statistics. */
export type FeatureProfile = NumericProfile | CategoricalProfile;

/** The statistics of the training data, in a version's manifest. */
export interface Profile {
  readonly rows: number;
  readonly features: readonly FeatureProfile[];
  readonly outputs?: readonly FeatureProfile[];
}

/** A KLL quantile sketch: level i holds items of weight 2^i. */
export interface KllSketchData {
  readonly k: number;
  readonly n: number;
  readonly levels: readonly (readonly number[])[];
}

/** A numeric feature's sketch over a window. */
export interface NumericSketchData {
  readonly kind: 'numeric';
  readonly n: number;
  readonly min: number | null;
  readonly max: number | null;
  /** [value, count] per distinct value while there are few, else null. */
  readonly distinct: readonly (readonly [number, number])[] | null;
  readonly quantiles: KllSketchData;
}

/** A categorical feature's sketch over a window. */
export interface CategoricalSketchData {
  readonly kind: 'categorical';
  readonly n: number;
  readonly categories: readonly (readonly [string, number])[];
  readonly other: number;
}

/** Either kind of sketch. */
export type SketchData = NumericSketchData | CategoricalSketchData;

/** The bundle manifest (`berth.json`) of a version. */
export interface BundleManifest {
  readonly name: string;
  readonly description?: string;
  readonly created: string;
  readonly signature: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] };
  readonly schema?: FeatureSchema;
  readonly pipeline?: Readonly<Record<string, unknown>>;
  readonly profile?: Profile;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly lineage?: Readonly<Record<string, unknown>>;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A version with its manifest (`GET /api/models/{name}/versions/{n}`). */
export interface VersionDetail extends VersionRecord {
  readonly manifest: BundleManifest;
}

/** `GET /api/models/{name}`. */
export interface ModelDetail {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
}

/** `GET /api/server`: what this replica serves now, and versions that failed to load. */
export interface ServerStatus {
  readonly version: string;
  readonly served: readonly {
    readonly model: string;
    readonly version: string;
    readonly aliases: readonly string[];
    /** True for the version the plain model name answers with. */
    readonly default: boolean;
    /** The runtime's state: `ready` once it takes requests. */
    readonly state: string;
  }[];
  readonly failures?: readonly { readonly model: string; readonly version: string; readonly reason: string; readonly at: string }[];
}

/** What moving an alias did. */
export interface AliasChange {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly previous: number | null;
}

/** One change from the audit log. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly model: string | null;
  readonly version: number | null;
  readonly alias: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** What registering did. */
export interface RegisterResult {
  readonly version: VersionRecord;
  readonly created: boolean;
  readonly aliasesSet: readonly string[];
}

/** One named prediction. */
export interface Prediction {
  readonly label?: string | number | boolean;
  readonly probabilities?: Readonly<Record<string, number>>;
  readonly value?: number;
  readonly [output: string]: unknown;
}

/** `POST /api/models/{ref}/predict`. */
export interface PredictResponse {
  readonly model: string;
  readonly version: number | string;
  readonly requestId?: string;
  readonly predictions: readonly Prediction[];
  readonly warnings?: readonly string[];
}

/** `GET /v2/models/{name}`. */
export interface OipModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** An OIP tensor in a request or response. */
export interface OipTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/** `POST /v2/models/{name}/infer`. */
export interface OipInferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly OipTensor[];
}

/** A training run's state. */
export type TrainingState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A training run (`/api/training`). */
export interface TrainingJob {
  readonly id: string;
  readonly state: TrainingState;
  readonly created: string;
  readonly file: string;
  readonly target: string;
  /** The model name the run suggests (the upload's `name`, else the file's). */
  readonly name?: string;
  readonly progress?: { readonly stage: string; readonly fraction: number; readonly message: string };
  readonly result?: {
    readonly task: string;
    readonly algorithm: string;
    /** The trainer chosen: `logistic-regression`, `ridge-regression`, `gbdt`. */
    readonly method?: string;
    readonly metrics: Readonly<Record<string, unknown>>;
    readonly candidates?: readonly { readonly algorithm: string; readonly method?: string; readonly metrics: Readonly<Record<string, unknown>> }[];
    readonly schema?: FeatureSchema;
    readonly rows?: number;
  };
  readonly error?: { readonly error: string; readonly code: string };
  readonly registered?: { readonly model: string; readonly version: number };
}

/**
 * Binned reference and current proportions of a feature, when a server sends them with its drift
 * report; the dashboard otherwise bins the profile and the window's sketch itself.
 */
export interface FeatureBins {
  readonly edges?: readonly number[];
  readonly values?: readonly (number | string)[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
}

/** One feature's line of a drift report. */
export interface FeatureDrift {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  readonly method: string;
  readonly statistic: number;
  readonly pValue: number | null;
  readonly adjustedPValue?: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly status?: 'ok' | 'no-reference-data' | 'no-current-data';
  readonly rows?: { readonly reference: number; readonly current: number };
  readonly missing?: { readonly reference: number; readonly current: number };
  readonly unseenCategories?: unknown;
  /** The current window's sketch, when the server includes it. */
  readonly current?: SketchData;
  readonly bins?: FeatureBins;
}

/** `GET /api/models/{name}/monitor/drift`. */
export interface DriftReport {
  readonly model: string;
  /** The version compared (the server sends it as a string, `"3"`). */
  readonly version: number | string | null;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly reference: { readonly rows: number };
  readonly features: readonly FeatureDrift[];
  readonly predictionDrift: { readonly features: readonly FeatureDrift[]; readonly driftedShare: number; readonly drifted: boolean } | null;
  readonly driftedShare: number;
  readonly datasetDrift: boolean;
}

/** One window of `GET /api/models/{name}/monitor/drift/history`. */
export interface DriftHistoryPoint {
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  /** null for a window without rows. */
  readonly driftedShare: number | null;
  readonly features: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
}

/** One window of `GET /api/models/{name}/monitor/traffic`. */
export interface TrafficPoint {
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly rows: number;
  readonly errors: number;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null } | null;
}

/** `GET /api/models/{name}/monitor/performance`. */
export interface PerformanceReport {
  /** null until feedback or the version's pipeline says what the model predicts. */
  readonly task: string | null;
  /** The training metrics (validation rows), by metric name. */
  readonly training?: Readonly<Record<string, unknown>>;
  readonly points: readonly ({ readonly from: string; readonly to: string; readonly rows: number } & Readonly<Record<string, unknown>>)[];
  readonly unmatched?: number;
}

/** One row of the sampled request log. */
export interface LoggedRequest {
  readonly requestId: string;
  readonly at: string;
  readonly version: number | string;
  readonly inputs: unknown;
  readonly outputs: unknown;
}

/** An alert (`GET /api/alerts`). */
export interface Alert {
  /** The rule's id (or, from some servers, the rule itself). */
  readonly rule: string | { readonly id?: string; readonly name?: string; readonly type?: string };
  /** The rule's name and type: `drift_share`, `latency_p99`, … */
  readonly name?: string;
  readonly type?: string;
  readonly model: string;
  readonly state: 'firing' | 'resolved';
  readonly since: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly message?: string;
}
