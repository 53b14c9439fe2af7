/**
 * The tables of the metadata database, as Kysely sees them. One interface per table; later
 * migrations (monitor windows, feedback, …) add their tables to {@link StoreTables}.
 *
 * Portable column types only (text, integer, bigint), so that SQLite and PostgreSQL share one
 * code path: times are ISO 8601 UTC strings (they sort as text), JSON is text, and keys are
 * natural (model name, version number) so that no table needs a dialect-specific autoincrement.
 */

/** A named model. `last_version` only grows, so a deleted version's number is never reused. */
export interface ModelsTable {
  readonly name: string;
  readonly created_at: string;
  readonly last_version: number;
}

/** An immutable version of a model: one registered bundle. */
export interface VersionsTable {
  readonly model: string;
  readonly number: number;
  /** The bundle digest, `sha256:<hex>`. */
  readonly digest: string;
  /** Bytes of every file of the bundle, manifest included. */
  readonly size: number;
  readonly created_at: string;
  /** Where it was registered from, e.g. `file:/abs/model.onnx`, `bundle:/abs/dir`, `api:upload`. */
  readonly source: string;
  /** JSON object of string tags. */
  readonly tags: string;
  /** The bundle's manifest (`berth.json`) exactly as it was registered. */
  readonly manifest: string;
}

/** The files of a version's bundle and the blobs that hold them. */
export interface VersionFilesTable {
  readonly model: string;
  readonly number: number;
  /** Path inside the bundle, `/`-separated. */
  readonly path: string;
  /** Blob digest, `sha256:<hex>`. */
  readonly digest: string;
  readonly size: number;
}

/** A named pointer from a model to one of its versions. */
export interface AliasesTable {
  readonly model: string;
  readonly name: string;
  readonly number: number;
  readonly updated_at: string;
}

/**
 * Every change to the registry, in commit order. `seq` comes from {@link ChangeCounterTable},
 * whose single row every change transaction updates first: that row lock serialises writers, so
 * sequence numbers become visible in order and "what changed since seq N" never misses a change.
 */
export interface AuditLogTable {
  readonly seq: number;
  readonly at: string;
  /** The interface the change came through: `cli`, `api`, `sdk`, `server`, … */
  readonly interface: string;
  /** Who, where known (e.g. `user@host`); null otherwise. */
  readonly actor: string | null;
  /** What happened, e.g. `version.register`, `alias.set`. */
  readonly action: string;
  readonly model: string | null;
  readonly version: number | null;
  readonly alias: string | null;
  /** JSON object with the rest (digest, previous version, source …). */
  readonly details: string;
}

/** One row (`id` = 1) holding the last change sequence number. */
export interface ChangeCounterTable {
  readonly id: number;
  readonly seq: number;
}

/**
 * One window of one model version's traffic as one replica saw it. Windows of several replicas
 * (and consecutive windows) merge into one for a report; a replica that writes a window twice
 * (a late event after a flush) merges into its own row.
 */
export interface MonitorWindowsTable {
  readonly model: string;
  /** The served version, as the data plane names it (`3`). */
  readonly version: string;
  /** Start of the window, ISO 8601 UTC; a multiple of `window_ms` since the epoch. */
  readonly start_at: string;
  readonly replica: string;
  /** `served`: traffic the version answered; `shadow`: copies it ran as a shadow, answered to nobody (migration 0007). */
  readonly role: string;
  readonly window_ms: number;
  /** Requests of any outcome; rows answered (successful requests' rows); failed requests by kind. */
  readonly requests: number;
  readonly rows: number;
  readonly client_errors: number;
  readonly server_errors: number;
  /** JSON: the KLL sketch of request latencies in ms. */
  readonly latency: string;
  /** JSON: the window's feature and output sketches (WindowSketchesData). */
  readonly sketches: string;
  readonly updated_at: string;
}

/**
 * The log segments (migration 0007): one row per segment file of the prediction log or the payload
 * log in the blob store, never one per request. See src/monitor/log-segments.ts.
 */
export interface MonitorLogSegmentsTable {
  /** A UUIDv7 given when the segment was sealed: segments sort by it in the order they were sealed. */
  readonly segment_id: string;
  readonly model: string;
  /** `predictions` (what feedback joins to) or `payloads` (inputs and outputs). */
  readonly kind: string;
  /** The blob holding the segment file, `sha256:<hex>`. */
  readonly digest: string;
  readonly bytes: number;
  readonly entries: number;
  /**
   * The range of the times in the segment's UUIDv7 request ids, epoch ms, never wider than the
   * segment span; null when it holds none.
   */
  readonly id_from_ms: number | null;
  readonly id_to_ms: number | null;
  /** A Bloom filter (base64) of the ids not found by their time (not UUIDv7, or from a clock far off); null when none. */
  readonly other_ids: string | null;
  /** When its first and latest requests came; retention and exports go by them. */
  readonly first_at: string;
  readonly last_at: string;
}

/** The sampled log of raw requests and responses. */
export interface MonitorSamplesTable {
  readonly model: string;
  readonly request_id: string;
  readonly version: string;
  readonly at: string;
  readonly protocol: string;
  /** JSON of the request's inputs and the response's outputs (truncated when over the size cap). */
  readonly inputs: string;
  readonly outputs: string;
}

/**
 * Ground truth sent as feedback. Matched rows carry a copy of the prediction they joined (so
 * performance survives the prediction log's retention); unmatched ones wait for a late log entry.
 */
export interface MonitorFeedbackTable {
  readonly model: string;
  readonly request_id: string;
  readonly received_at: string;
  /** JSON: the true value, or a list with one per row of the request. */
  readonly actual: string;
  /** 1 when joined to a logged prediction, else 0. */
  readonly matched: number;
  readonly version: string | null;
  readonly predicted_at: string | null;
  readonly rows: number | null;
  readonly outputs: string | null;
}

/** Alert rules added through the API (rules from the config file are not stored). */
export interface MonitorAlertRulesTable {
  readonly id: string;
  /** JSON: the validated rule. */
  readonly rule: string;
  readonly created_at: string;
}

/** The state of each rule's alert per model: firing, or resolved since. */
export interface MonitorAlertsTable {
  readonly rule_id: string;
  readonly model: string;
  readonly state: string;
  /** When it entered its state. */
  readonly since: string;
  readonly version: string | null;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly updated_at: string;
  /** JSON: the rule's name and type, and what the value was measured on. */
  readonly details: string;
}

/** Named leases, so that one replica at a time does periodic work (alert evaluation). */
export interface MonitorLeasesTable {
  readonly name: string;
  readonly holder: string;
  readonly expires_at: string;
}

/**
 * A training job (the dashboard's no-code path). Queued jobs wait here for any replica with a
 * free trainer; the replica running one holds it (`holder`) and renews `heartbeat_at`, and a
 * job whose heartbeat is older than the lease is marked failed by whichever replica sees it.
 */
export interface TrainingJobsTable {
  readonly id: string;
  /** `queued`, `running`, `succeeded` or `failed`. */
  readonly state: string;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** The uploaded file's name. */
  readonly file: string;
  readonly target: string;
  /** The model name the bundle suggests. */
  readonly name: string;
  /** JSON: `{task, algorithm, seed?}`. */
  readonly options: string;
  /** JSON: `{stage, fraction, message}`. */
  readonly progress: string;
  /** JSON: the training summary, once succeeded. */
  readonly result: string | null;
  /** JSON: `{error, code}`, once failed. */
  readonly error: string | null;
  /** JSON: `{model, version}` the bundle was last registered as. */
  readonly registered: string | null;
  /** Blob of the uploaded CSV (needed until the job has finished). */
  readonly upload_digest: string | null;
  /** The replica running the job, or that ran it; null while queued. */
  readonly holder: string | null;
  /** When the holder last renewed its lease on the job. */
  readonly heartbeat_at: string | null;
  /** Grows with every change, so a follower on another replica sees what is new. */
  readonly revision: number;
  /** The model a retraining job retrains while it is queued or running (unique); null otherwise. */
  readonly retrain_model?: string | null;
  /** 1: the upload is kept as the registered version's training data (its blob outlives the job). */
  readonly keep_data?: number;
}

/** The files of a succeeded training job's bundle and the blobs that hold them. */
export interface TrainingJobFilesTable {
  readonly job_id: string;
  /** Path inside the bundle, `/`-separated. */
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/** A model's deployment (traffic policy); no row: its default version takes all traffic. */
export interface DeploymentsTable {
  readonly model: string;
  /** JSON: the checked policy (core/deployment.ts DeploymentPolicy). */
  readonly policy: string;
  /** The sequence number of the change that wrote it (audit_log.seq). */
  readonly seq: number;
  readonly updated_at: string;
}

/**
 * One window of one shadow's comparison with the versions that answered, as one replica saw it;
 * windows of several replicas merge into one report.
 */
export interface ShadowComparisonsTable {
  readonly model: string;
  /** The shadow's version number. */
  readonly shadow: number;
  /** Start of the window, ISO 8601 UTC. */
  readonly start_at: string;
  readonly replica: string;
  readonly window_ms: number;
  /** Requests copied to the shadow and run; dropped because it fell behind; failed in the shadow. */
  readonly requests: number;
  readonly dropped: number;
  readonly failed: number;
  /** Rows compared; rows whose labels were compared (classification); of those, rows that agreed. */
  readonly rows: number;
  readonly labelled: number;
  readonly agreed: number;
  /** JSON: KLL sketches of the differences (shadow − primary) and of both latencies. */
  readonly sketches: string;
  readonly updated_at: string;
}

/**
 * A rollout: a stepwise move of a model's traffic from its champion to a challenger under guards
 * (see src/app/rollouts). The replica holding the rollout's lease advances it; `revision` makes
 * every write conditional, so a replica that lost the lease cannot overwrite the one that took it.
 */
export interface RolloutsTable {
  readonly id: string;
  readonly model: string;
  /** The model while the rollout runs, null once it has finished: a unique index allows one running rollout per model. */
  readonly active_model: string | null;
  readonly champion: number;
  readonly challenger: number;
  /** `running`, `succeeded`, `rolled_back`, `aborted` or `failed`. */
  readonly state: string;
  /** JSON: the plan (steps, bake, interval, least requests, guards as written). */
  readonly plan: string;
  /** Index of the step traffic is at; -1 before the first step. */
  readonly step: number;
  readonly step_started_at: string | null;
  /** When the guards are next checked. */
  readonly next_check_at: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly finished_at: string | null;
  /** Who started it: the interface and, where known, the actor. */
  readonly interface: string;
  readonly actor: string | null;
  /** Why it ended other than by succeeding: the guard breached, the abort, the failure. */
  readonly reason: string | null;
  /** The change sequence number of the deployment the rollout last wrote (null before the first step). */
  readonly deployment_seq: number | null;
  /** JSON: the figures and guard verdicts of the latest check. */
  readonly last_check: string | null;
  /** JSON: the timeline, oldest first. */
  readonly events: string;
  /** The replica that last advanced it. */
  readonly holder: string | null;
  readonly revision: number;
}

/**
 * An API key: a credential with scopes (`predict`, `read`, `admin`), optionally limited to one
 * model. Only the sha256 of the key is kept; the key itself is shown once, when it is created.
 */
export interface ApiKeysTable {
  readonly id: string;
  readonly name: string;
  /** JSON array of scopes. */
  readonly scopes: string;
  /** The only model the key reaches, or null for every model. */
  readonly model: string | null;
  /** sha256 of the whole key, hex. */
  readonly hash: string;
  /** The key's first characters, so people can tell keys apart. */
  readonly hint: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
}
/** Data kept with a version (migration 0008): its training data, as a blob, while the version exists. */
export interface VersionDataTable {
  readonly model: string;
  readonly number: number;
  /** What the data is to the version: `training`. */
  readonly role: string;
  readonly digest: string;
  readonly size: number;
  /** Data rows of the CSV. */
  readonly rows: number;
  /** Where it came from, for people. */
  readonly source: string;
  readonly created_at: string;
}

/** A model's retraining policy (migration 0008). */
export interface RetrainPoliciesTable {
  readonly model: string;
  /** JSON: the validated policy (core/retrain-policy.ts). */
  readonly policy: string;
  /** JSON: what the triggers have seen (last run, the drift alert last acted on, rows counted). */
  readonly state: string;
  readonly updated_at: string;
  /** Grows with every write; state updates are conditional on it. */
  readonly revision: number;
}

/** Every table of the metadata database. */
export interface StoreTables {
  readonly models: ModelsTable;
  readonly versions: VersionsTable;
  readonly version_files: VersionFilesTable;
  readonly aliases: AliasesTable;
  readonly audit_log: AuditLogTable;
  readonly change_counter: ChangeCounterTable;
  readonly monitor_windows: MonitorWindowsTable;
  readonly monitor_log_segments: MonitorLogSegmentsTable;
  readonly monitor_samples: MonitorSamplesTable;
  readonly monitor_feedback: MonitorFeedbackTable;
  readonly monitor_alert_rules: MonitorAlertRulesTable;
  readonly monitor_alerts: MonitorAlertsTable;
  readonly monitor_leases: MonitorLeasesTable;
  readonly training_jobs: TrainingJobsTable;
  readonly training_job_files: TrainingJobFilesTable;
  readonly deployments: DeploymentsTable;
  readonly shadow_comparisons: ShadowComparisonsTable;
  readonly rollouts: RolloutsTable;
  readonly api_keys: ApiKeysTable;
  readonly version_data: VersionDataTable;
  readonly retrain_policies: RetrainPoliciesTable;
}
