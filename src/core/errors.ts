/**
 * The error catalogue: every error Berth reports to a user, with a stable code, its HTTP status,
 * its gRPC status and a message that says what went wrong and what to do next.
 *
 * Transports render a {@link BerthError} and nothing else chooses a status code. `docs/errors.md`
 * lists every code; `test/core/errors.test.ts` keeps this file and that page in step.
 *
 * @example
 *   throw Errors.MODEL_NOT_FOUND.create('digits');
 */

/** gRPC status names (google.rpc.Code) used by the catalogue. */
export type GrpcStatus =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INTERNAL'
  | 'UNIMPLEMENTED';

/** What a catalogue error may carry besides its message. */
export interface ErrorExtras {
  /** Machine-readable context for callers (never secrets), such as the row and feature at fault. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The error that led to this one, kept for logs. */
  readonly cause?: unknown;
}

/** Type-only key of an entry's literal code (no value exists at run time). */
declare const LITERAL_CODE: unique symbol;

/** One entry of the catalogue: a factory for errors of one code. */
export interface ErrorDefinition<Args extends readonly unknown[], Code extends string = string> {
  readonly code: string;
  /** The code as a literal type, for {@link ErrorCode}; never set. */
  readonly [LITERAL_CODE]?: Code;
  readonly httpStatus: number;
  readonly grpcStatus: GrpcStatus;
  /**
   * Builds the error; the arguments fill the message template, and an optional last argument
   * adds details and a cause.
   *
   * @example
   *   Errors.MODEL_EXECUTION_FAILED.create('digits', error.message, { cause: error });
   */
  create(...args: Args): BerthError;
  create(...args: [...Args, ErrorExtras]): BerthError;
  /** True when `error` is a BerthError of this code. */
  is(error: unknown): error is BerthError;
}

/**
 * An error from the catalogue. `details` carries machine-readable context (never secrets).
 * Build one with `Errors.<NAME>.create(...)`, never with `new` (eslint.config.js enforces it).
 */
export class BerthError extends Error {
  override readonly name = 'BerthError';
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    readonly grpcStatus: GrpcStatus,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * One catalogue entry. A template declares plain parameters (no defaults, no rest), so `create`
 * can tell an extra last argument, the {@link ErrorExtras}, from the template's own.
 */
function define<Code extends string, Args extends readonly unknown[]>(
  code: Code,
  httpStatus: number,
  grpcStatus: GrpcStatus,
  template: (...args: Args) => string,
): ErrorDefinition<Args, Code> {
  const create = (...given: readonly unknown[]): BerthError => {
    const args = [...given];
    const extras = args.length > template.length ? (args.pop() as ErrorExtras) : undefined;
    const message = template(...(args as unknown as Args));
    return new BerthError(code, httpStatus, grpcStatus, message, extras?.details, extras && 'cause' in extras ? { cause: extras.cause } : undefined);
  };
  return {
    code,
    httpStatus,
    grpcStatus,
    create: create as ErrorDefinition<Args>['create'],
    is: (error): error is BerthError => error instanceof BerthError && error.code === code,
  };
}

/** Every error Berth reports, by code. */
export const Errors = {
  // --- requests (any transport) ---
  REQUEST_INVALID_JSON: define('BERTH_REQUEST_INVALID_JSON', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `The request body is not valid JSON (${reason}). Send a JSON object with Content-Type: application/json.`),
  REQUEST_INVALID: define('BERTH_REQUEST_INVALID', 400, 'INVALID_ARGUMENT', (what: string) =>
    `Invalid request: ${what}.`),
  REQUEST_UNSUPPORTED_MEDIA_TYPE: define('BERTH_REQUEST_UNSUPPORTED_MEDIA_TYPE', 415, 'INVALID_ARGUMENT',
    (contentType: string, accepted: string) => `Content-Type '${contentType}' cannot be read here. Send ${accepted}.`),
  REQUEST_TOO_LARGE: define('BERTH_REQUEST_TOO_LARGE', 413, 'RESOURCE_EXHAUSTED', (limit: number) =>
    `The request body is larger than the limit of ${limit} bytes. Send smaller batches, or raise the limit with --body-limit.`),
  REQUEST_TIMEOUT: define('BERTH_REQUEST_TIMEOUT', 408, 'DEADLINE_EXCEEDED', (limitMs: number) =>
    `The request was not received within ${limitMs} ms, so the connection is closed. Send the whole request at once, or ask the operator to raise server.requestTimeoutMs (BERTH_REQUEST_TIMEOUT_MS).`),
  REQUEST_HEADERS_TOO_LARGE: define('BERTH_REQUEST_HEADERS_TOO_LARGE', 431, 'INVALID_ARGUMENT', () =>
    'The request headers are larger than the server accepts (16 KiB), so the connection is closed. Send fewer or shorter headers.'),
  REQUEST_MALFORMED_HTTP: define('BERTH_REQUEST_MALFORMED_HTTP', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `The request is not valid HTTP/1.1 (${reason}), so the connection is closed. Check the client or proxy that sent it.`),
  RESPONSE_TOO_LARGE: define('BERTH_RESPONSE_TOO_LARGE', 413, 'RESOURCE_EXHAUSTED', (model: string, bytes: number, limit: number) =>
    `The answer of model '${model}' would hold ${bytes} bytes of tensor data, more than the limit of ${limit} bytes. Send fewer rows or ask for fewer outputs, or raise the limit with --max-response-bytes (BERTH_MAX_RESPONSE_BYTES).`),
  MLFLOW_MODEL_UNSET: define('BERTH_MLFLOW_MODEL_UNSET', 404, 'NOT_FOUND', (served: readonly string[]) =>
    `/invocations answers for one model, and this server serves ${served.length === 0 ? 'none' : listNames(served)}. Choose it with server.mlflowModel (BERTH_MLFLOW_MODEL), or use /api/models/{name}/predict.`),
  RATE_LIMITED: define('BERTH_RATE_LIMITED', 429, 'RESOURCE_EXHAUSTED', (limit: number, retryAfter: string) =>
    `More than ${limit} requests a minute came from this client. Retry after ${retryAfter}, or ask the operator to raise server.rateLimitPerMinute.`),
  ROUTE_NOT_FOUND: define('BERTH_ROUTE_NOT_FOUND', 404, 'UNIMPLEMENTED', (method: string, url: string) =>
    `No endpoint answers ${method} ${url}. See GET /v2 for the server's protocol and the README for every endpoint.`),
  METHOD_NOT_ALLOWED: define('BERTH_METHOD_NOT_ALLOWED', 405, 'UNIMPLEMENTED', (method: string, url: string, allowed: string) =>
    `${url} does not accept ${method}; use ${allowed}.`),

  // --- inference tensors ---
  INPUT_UNKNOWN: define('BERTH_INPUT_UNKNOWN', 400, 'INVALID_ARGUMENT', (input: string, model: string, expected: readonly string[]) =>
    `Input '${input}' is not an input of model '${model}'; its inputs are ${listNames(expected)}.`),
  INPUT_MISSING: define('BERTH_INPUT_MISSING', 400, 'INVALID_ARGUMENT', (input: string, model: string) =>
    `Input '${input}' of model '${model}' is missing from the request; send every input named in GET /v2/models/${model}.`),
  INPUT_DUPLICATE: define('BERTH_INPUT_DUPLICATE', 400, 'INVALID_ARGUMENT', (input: string) =>
    `Input '${input}' appears more than once in the request; send each input once.`),
  INPUT_DATATYPE: define('BERTH_INPUT_DATATYPE', 400, 'INVALID_ARGUMENT', (input: string, expected: string, got: string) =>
    `Input '${input}' has datatype ${got}, but the model expects ${expected}.`),
  INPUT_SHAPE: define('BERTH_INPUT_SHAPE', 400, 'INVALID_ARGUMENT', (input: string, expected: string, got: string) =>
    `Input '${input}' has shape ${got}, which does not fit the model's shape ${expected} (-1 is any size).`),
  INPUT_DATA_LENGTH: define('BERTH_INPUT_DATA_LENGTH', 400, 'INVALID_ARGUMENT', (input: string, shape: string, expected: string, got: string) =>
    `Input '${input}' has shape ${shape}, which holds ${expected}, but its data has ${got}.`),
  INPUT_VALUE: define('BERTH_INPUT_VALUE', 400, 'INVALID_ARGUMENT', (input: string, index: number, reason: string) =>
    `Input '${input}', element ${index}: ${reason}.`),
  OUTPUT_FILE_UNWRITABLE: define('BERTH_OUTPUT_FILE_UNWRITABLE', 400, 'INVALID_ARGUMENT', (path: string, reason: string) =>
    `Cannot write ${path}: ${reason}. Nothing was written; choose a file in a folder that exists and that you may write (-o).`),
  OUTPUT_UNKNOWN: define('BERTH_OUTPUT_UNKNOWN', 400, 'INVALID_ARGUMENT', (output: string, model: string, expected: readonly string[]) =>
    `Requested output '${output}' is not an output of model '${model}'; its outputs are ${listNames(expected)}.`),
  BINARY_HEADER: define('BERTH_BINARY_HEADER', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `Binary tensor request is malformed: ${reason}. See the binary tensor data extension of the Open Inference Protocol.`),

  // --- models and serving ---
  MODEL_NOT_FOUND: define('BERTH_MODEL_NOT_FOUND', 404, 'NOT_FOUND', (model: string) =>
    `Model '${model}' is not served here. GET /v1/models lists the models served here.`),
  VERSION_NOT_FOUND: define('BERTH_VERSION_NOT_FOUND', 404, 'NOT_FOUND', (model: string, version: string) =>
    `Version '${version}' of model '${model}' is not served here. GET /v2/models/${model} lists its versions.`),
  MODEL_NO_DEFAULT: define('BERTH_MODEL_NO_DEFAULT', 404, 'NOT_FOUND', (model: string, versions: readonly string[]) =>
    `Model '${model}' has no default version served here (its production alias, else its latest version, is not loaded; GET /api/server lists versions that failed to load). Address a version (${versions.map((v) => `/versions/${v}`).join(', ')}) or move the alias: berth alias ${model} production <version>.`),
  ALIAS_NOT_SERVED: define('BERTH_ALIAS_NOT_SERVED', 404, 'NOT_FOUND', (model: string, alias: string, aliases: readonly string[]) =>
    `Model '${model}' has no alias '${alias}' served here${aliases.length ? `; its aliases are ${listNames(aliases)}` : ''}.`),
  MODEL_NO_SCHEMA: define('BERTH_MODEL_NO_SCHEMA', 400, 'FAILED_PRECONDITION', (model: string, version: string) =>
    `Version ${version} of model '${model}' has no feature schema and pipeline, so it cannot predict named records. Send tensors to /v2/models/${model}/versions/${version}/infer, or train it with berth train.`),
  MODEL_NOT_READY: define('BERTH_MODEL_NOT_READY', 503, 'UNAVAILABLE', (model: string) =>
    `Model '${model}' is not ready to serve yet. Retry shortly; GET /v2/models/${model}/ready tells when it is.`),
  MODEL_COLD_LOAD_TIMEOUT: define('BERTH_MODEL_COLD_LOAD_TIMEOUT', 503, 'UNAVAILABLE', (model: string, timeoutMs: number) =>
    `Version ${model} was not loaded in memory and its load took longer than ${timeoutMs} ms; it carries on loading. Retry after the Retry-After delay, or raise runtime.coldLoadTimeoutMs (--cold-load-timeout-ms).`),
  MODEL_MEMORY_EXHAUSTED: define('BERTH_MODEL_MEMORY_EXHAUSTED', 503, 'RESOURCE_EXHAUSTED', (model: string, bytes: number, limitBytes: number, reason: string) =>
    `Version ${model} needs about ${bytes} bytes to load, and the server's model memory budget of ${limitBytes} bytes has no room: ${reason}. Retry after the Retry-After delay; the operator can raise runtime.modelMemory (--model-memory), pin fewer aliases, or add replicas.`),
  SERVER_SHUTTING_DOWN: define('BERTH_SERVER_SHUTTING_DOWN', 503, 'UNAVAILABLE', () =>
    'The server is shutting down and takes no new requests. Retry against another replica.'),
  SERVER_VERSIONS_UNLOADED: define('BERTH_SERVER_VERSIONS_UNLOADED', 503, 'UNAVAILABLE', (versions: string) =>
    `Not ready: versions that should be served could not load: ${versions}. The server retries them every few seconds; fix the cause (a missing blob, an unreachable store) or move the alias. GET /api/server lists them.`),
  SERVER_LISTEN_FAILED: define('BERTH_SERVER_LISTEN_FAILED', 503, 'UNAVAILABLE', (what: string, address: string, reason: string) =>
    `Cannot listen for ${what} on ${address}: ${reason}.`),
  MODEL_LOAD_FAILED: define('BERTH_MODEL_LOAD_FAILED', 500, 'FAILED_PRECONDITION', (file: string, reason: string) =>
    `Could not load model from ${file}: ${reason}. Check that the file is a valid ONNX model that onnxruntime supports.`),
  MODEL_SPEC_INVALID: define('BERTH_MODEL_SPEC_INVALID', 400, 'INVALID_ARGUMENT', (spec: string, reason: string) =>
    `Model argument '${spec}' is invalid: ${reason}. Use path/to/model.onnx or name=path/to/model.onnx.`),
  MODEL_EXECUTION_FAILED: define('BERTH_MODEL_EXECUTION_FAILED', 500, 'INTERNAL', (model: string, reason: string) =>
    `Model '${model}' failed while running: ${reason}`),
  QUEUE_FULL: define('BERTH_QUEUE_FULL', 503, 'UNAVAILABLE', (model: string, limit: number) =>
    `Model '${model}' is overloaded: ${limit} requests are already waiting. Retry after the Retry-After delay, send larger batches, or add replicas.`),
  QUEUE_TIMEOUT: define('BERTH_QUEUE_TIMEOUT', 503, 'DEADLINE_EXCEEDED', (model: string, timeoutMs: number) =>
    `The request waited more than ${timeoutMs} ms for model '${model}' and was dropped unrun. The server is overloaded; retry later or raise batching.timeoutMs.`),
  SERVER_OVERLOADED: define('BERTH_SERVER_OVERLOADED', 503, 'UNAVAILABLE', (limit: number) =>
    `The server is overloaded: ${limit} inference runs are already waiting for its workers, across all models. Retry after the Retry-After delay, add replicas, or raise runtime.maxPendingRuns.`),

  // --- management API ---
  AUTH_REQUIRED: define('BERTH_AUTH_REQUIRED', 401, 'UNAUTHENTICATED', () =>
    'This endpoint needs a credential: send Authorization: Bearer <key>, with an API key (berth keys create) or the admin token (BERTH_ADMIN_TOKEN).'),
  AUTH_INVALID: define('BERTH_AUTH_INVALID', 401, 'UNAUTHENTICATED', () =>
    'The bearer token is neither a live API key nor the admin token. Check the key (berth keys list shows revoked ones) or BERTH_ADMIN_TOKEN on the server.'),
  AUTH_FORBIDDEN: define('BERTH_AUTH_FORBIDDEN', 403, 'PERMISSION_DENIED', (key: string, reason: string) =>
    `API key ${key} may not do this: ${reason}. Use a key that may (berth keys create --scope <scope> [--model <name>]) or the admin token.`),
  API_KEY_INVALID: define('BERTH_API_KEY_INVALID', 400, 'INVALID_ARGUMENT', (problem: string) =>
    `The API key cannot be created: ${problem}. Give one or more scopes (predict, read, admin), an optional model name and a name of at most 128 characters.`),
  API_KEY_NOT_FOUND: define('BERTH_API_KEY_NOT_FOUND', 404, 'NOT_FOUND', (id: string) =>
    `There is no API key '${id}'. berth keys list (GET /api/keys) lists the keys by id.`),
  AUTH_ORIGIN_REFUSED: define('BERTH_AUTH_ORIGIN_REFUSED', 403, 'PERMISSION_DENIED', (origin: string) =>
    `A request from ${origin} may not change anything here: browsers on other origins are refused, so a page elsewhere cannot act on your server. Use the dashboard or a client that is not a browser, or allow the origin in server.allowedOrigins.`),
  AUTH_HOST_REFUSED: define('BERTH_AUTH_HOST_REFUSED', 403, 'PERMISSION_DENIED', (host: string) =>
    `This server listens on loopback and answers only requests addressed to it by a loopback name (localhost, 127.0.0.1, [::1]), not Host '${host}'; this stops other sites reaching it through DNS rebinding. Add the name to server.allowedHosts to allow it.`),
  UPLOAD_INVALID: define('BERTH_UPLOAD_INVALID', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `The upload cannot be used: ${reason}. Send multipart/form-data with the model in a field named 'file' (a .onnx file or a .berth archive).`),

  // --- configuration ---
  CONFIG_INVALID: define('BERTH_CONFIG_INVALID', 400, 'INVALID_ARGUMENT', (problems: string) =>
    `Invalid configuration: ${problems}. Fix the config file, BERTH_* variables or flags named above.`),

  // --- schemas, pipelines and rows of named features ---
  SCHEMA_INVALID: define('BERTH_SCHEMA_INVALID', 400, 'INVALID_ARGUMENT', (problem: string) =>
    `The feature schema is invalid: ${problem}. Fix the schema document, or retrain to infer a new one.`),
  SCHEMA_ROW_INVALID: define('BERTH_SCHEMA_ROW_INVALID', 400, 'INVALID_ARGUMENT', (row: string) =>
    `${row} is not a record; send each row as a JSON object of feature names to values.`),
  SCHEMA_FEATURE_MISSING: define('BERTH_SCHEMA_FEATURE_MISSING', 400, 'INVALID_ARGUMENT', (row: string, feature: string) =>
    `${row}: required feature '${feature}' is missing. Send a value for it; the model's schema lists every feature.`),
  SCHEMA_TYPE_MISMATCH: define('BERTH_SCHEMA_TYPE_MISMATCH', 400, 'INVALID_ARGUMENT', (row: string, feature: string, expected: string, got: string) =>
    `${row}: feature '${feature}' must be ${expected}, but got ${got}.`),
  SCHEMA_NUMBER_INVALID: define('BERTH_SCHEMA_NUMBER_INVALID', 400, 'INVALID_ARGUMENT', (row: string, feature: string, value: string) =>
    `${row}: feature '${feature}' must be a finite number, but '${value}' cannot be read as one.`),
  SCHEMA_OUT_OF_RANGE: define('BERTH_SCHEMA_OUT_OF_RANGE', 400, 'INVALID_ARGUMENT', (row: string, feature: string, value: number, range: string) =>
    `${row}: feature '${feature}' is ${value}, outside the allowed range ${range}. Send a value inside it.`),
  SCHEMA_CATEGORY_UNKNOWN: define('BERTH_SCHEMA_CATEGORY_UNKNOWN', 400, 'INVALID_ARGUMENT', (row: string, feature: string, value: string, allowed: readonly string[]) =>
    `${row}: feature '${feature}' is '${value}', which is not one of its categories ${listNames(allowed)}.`),
  PIPELINE_INVALID: define('BERTH_PIPELINE_INVALID', 400, 'INVALID_ARGUMENT', (problem: string) =>
    `The pipeline is invalid: ${problem}. Fix the pipeline document or retrain to produce a new one.`),
  PIPELINE_CATEGORY_UNSEEN: define('BERTH_PIPELINE_CATEGORY_UNSEEN', 400, 'INVALID_ARGUMENT', (row: string, feature: string, value: string) =>
    `${row}: feature '${feature}' is '${value}', a category the model never saw in training, and its pipeline refuses unseen categories.`),

  // --- training ---
  TRAIN_CSV_INVALID: define('BERTH_TRAIN_CSV_INVALID', 400, 'INVALID_ARGUMENT', (source: string, reason: string) =>
    `Could not read ${source} as CSV: ${reason}. Send a CSV file with a header row and the same number of fields on every line.`),
  TRAIN_TARGET_NOT_FOUND: define('BERTH_TRAIN_TARGET_NOT_FOUND', 400, 'INVALID_ARGUMENT', (target: string, columns: readonly string[]) =>
    `Target column '${target}' is not in the data; its columns are ${listNames(columns)}.`),
  TRAIN_TARGET_INVALID: define('BERTH_TRAIN_TARGET_INVALID', 400, 'INVALID_ARGUMENT', (target: string, reason: string) =>
    `Target column '${target}' cannot be learned: ${reason}.`),
  TRAIN_DATA_INSUFFICIENT: define('BERTH_TRAIN_DATA_INSUFFICIENT', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `Not enough data to train: ${reason}. Add rows, or check the target and feature columns.`),
  TRAIN_OPTION_INVALID: define('BERTH_TRAIN_OPTION_INVALID', 400, 'INVALID_ARGUMENT', (option: string, reason: string) =>
    `Training option '${option}' is invalid: ${reason}.`),
  TRAINING_JOB_NOT_FOUND: define('BERTH_TRAINING_JOB_NOT_FOUND', 404, 'NOT_FOUND', (id: string) =>
    `Training job '${id}' does not exist. Only the newest finished jobs are kept (training.keepJobs); GET /api/training lists them.`),
  TRAINING_JOB_NOT_FINISHED: define('BERTH_TRAINING_JOB_NOT_FINISHED', 409, 'FAILED_PRECONDITION', (id: string, state: string) =>
    `Training job '${id}' is ${state}, so it has no model to register. Wait until it has succeeded (GET /api/training/${id}/events), or start a new job.`),
  TRAINING_QUEUE_FULL: define('BERTH_TRAINING_QUEUE_FULL', 503, 'UNAVAILABLE', (waiting: number) =>
    `${waiting} training jobs are already waiting to run. Retry when one has finished, or train from the command line with berth train.`),
  TRAINING_UPLOAD_TOO_LARGE: define('BERTH_TRAINING_UPLOAD_TOO_LARGE', 413, 'RESOURCE_EXHAUSTED', (limit: number) =>
    `The uploaded CSV is larger than the limit of ${limit} bytes. Train on it from the command line (berth train), or raise training.maxUploadBytes.`),
  TRAINING_REPLICA_LOST: define('BERTH_TRAINING_REPLICA_LOST', 503, 'UNAVAILABLE', (id: string, replica: string, since: string) =>
    `Training job '${id}' stopped: the replica running it (${replica}) has not renewed its lease since ${since}, so it was stopped, crashed or lost the database. Start the job again.`),
  TRAINING_TIMEOUT: define('BERTH_TRAINING_TIMEOUT', 504, 'DEADLINE_EXCEEDED', (id: string, limitMs: number) =>
    `Training job '${id}' was stopped after ${limitMs} ms, the longest a job may train (training.maxJobMs). Train on fewer rows or columns, choose a target with fewer classes, use --algorithm linear, or raise the limit (BERTH_TRAINING_MAX_JOB_MS).`),
  TRAINING_FAILED: define('BERTH_TRAINING_FAILED', 500, 'INTERNAL', (id: string, reason: string) =>
    `Training job '${id}' failed unexpectedly: ${reason}. This is a bug in Berth, or the trainer ran out of memory (training.maxMemoryMb); please report it with the server log.`),

  // --- store: metadata database and blobs ---
  STORE_DATABASE_URL_INVALID: define('BERTH_STORE_DATABASE_URL_INVALID', 400, 'INVALID_ARGUMENT', (url: string, reason: string) =>
    `Database URL '${url}' cannot be used: ${reason}. Use postgres://user@host:5432/db, sqlite:path/to/file.db, or leave it unset for BERTH_HOME/berth.db.`),
  STORE_UNAVAILABLE: define('BERTH_STORE_UNAVAILABLE', 503, 'UNAVAILABLE', (database: string, reason: string) =>
    `Cannot open the ${database}: ${reason}. Check that it is running and reachable and that --database / BERTH_DATABASE_URL is right.`),
  STORE_LOCKED: define('BERTH_STORE_LOCKED', 503, 'UNAVAILABLE', (database: string, waitedMs: number) =>
    `The ${database} is locked by another process (another berth command or server writing to it), and stayed locked for the ${waitedMs} ms this process waits. Retry once that process has finished; if one holds the lock for long, find it (e.g. fuser or lsof on the file) or raise store.databaseLockWaitMs (BERTH_DATABASE_LOCK_WAIT_MS). Servers that share one registry should use PostgreSQL.`),
  STORE_MIGRATION_FAILED: define('BERTH_STORE_MIGRATION_FAILED', 500, 'INTERNAL', (database: string, reason: string) =>
    `Cannot bring the ${database} up to date: ${reason}. If a newer Berth has used this database, upgrade Berth; otherwise report this with the message.`),
  STORE_BLOB_MISSING: define('BERTH_STORE_BLOB_MISSING', 500, 'INTERNAL', (digest: string, store: string) =>
    `Blob ${digest} is missing from the ${store}. The registry's files were removed or the blob folder is not the one the database was used with; register the version again or restore the folder.`),
  STORE_BLOB_CORRUPT: define('BERTH_STORE_BLOB_CORRUPT', 500, 'INTERNAL', (digest: string, reason: string) =>
    `Blob ${digest} is damaged: ${reason}. Nothing was served from it; register the version again or restore the blob (its folder or bucket) from a backup.`),
  STORE_BLOB_MISMATCH: define('BERTH_STORE_BLOB_MISMATCH', 400, 'INVALID_ARGUMENT', (file: string, expected: string, reason: string) =>
    `${file} does not have the expected content ${expected}: ${reason}. It changed while being stored or is damaged; nothing was stored.`),

  STORE_BLOBS_URL_INVALID: define('BERTH_STORE_BLOBS_URL_INVALID', 400, 'INVALID_ARGUMENT', (url: string, reason: string) =>
    `Blob store '${url}' cannot be used: ${reason}. Use s3://bucket/prefix for S3-compatible object storage, a folder path, or leave it unset for BERTH_HOME/blobs.`),
  STORE_BLOBS_UNAVAILABLE: define('BERTH_STORE_BLOBS_UNAVAILABLE', 503, 'UNAVAILABLE', (store: string, reason: string) =>
    `Cannot use the ${store}: ${reason}. Check that it is reachable (BERTH_S3_ENDPOINT for S3-compatible servers, with BERTH_S3_FORCE_PATH_STYLE=true for most), that the bucket exists, and that the AWS region and credentials (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_PROFILE) may read and write it; then retry.`),

  // --- Kubernetes manifests ---
  K8S_OPTION_INVALID: define('BERTH_K8S_OPTION_INVALID', 400, 'INVALID_ARGUMENT', (option: string, reason: string) =>
    `berth k8s ${option} is invalid: ${reason}. berth k8s --help lists the options.`),

  // --- bundles ---
  BUNDLE_NOT_FOUND: define('BERTH_BUNDLE_NOT_FOUND', 404, 'NOT_FOUND', (path: string, reason: string) =>
    `No bundle or model at ${path}: ${reason}. Give a bundle folder (with berth.json), a .onnx file or a .berth archive.`),
  BUNDLE_MANIFEST_INVALID: define('BERTH_BUNDLE_MANIFEST_INVALID', 400, 'INVALID_ARGUMENT', (where: string, reason: string) =>
    `The manifest of ${where} is invalid: ${reason}. Package the model again with berth package.`),
  BUNDLE_FORMAT_UNSUPPORTED: define('BERTH_BUNDLE_FORMAT_UNSUPPORTED', 400, 'INVALID_ARGUMENT', (where: string, format: string) =>
    `${where} has bundle format ${format}, which this Berth cannot read. Upgrade Berth, or package the model again with this one.`),
  BUNDLE_MODEL_INVALID: define('BERTH_BUNDLE_MODEL_INVALID', 400, 'INVALID_ARGUMENT', (file: string, reason: string) =>
    `${file} cannot be used as a model: ${reason}. Give a valid ONNX model whose inputs are tensors.`),
  BUNDLE_FILE_MISSING: define('BERTH_BUNDLE_FILE_MISSING', 400, 'INVALID_ARGUMENT', (where: string, file: string) =>
    `${where} is incomplete: file '${file}' named by its manifest is missing. Copy the whole bundle folder, or export it again as a .berth archive.`),
  BUNDLE_FILE_CORRUPT: define('BERTH_BUNDLE_FILE_CORRUPT', 400, 'INVALID_ARGUMENT', (where: string, file: string, reason: string) =>
    `${where} is damaged or was modified: file '${file}' ${reason}. A bundle is immutable; copy it again or package the model again.`),
  BUNDLE_DIGEST_MISMATCH: define('BERTH_BUNDLE_DIGEST_MISMATCH', 400, 'INVALID_ARGUMENT', (where: string, expected: string, actual: string) =>
    `${where} has digest ${actual}, but ${expected} was expected: its manifest was modified. Copy the bundle again from its source.`),
  BUNDLE_SIGNATURE_MISMATCH: define('BERTH_BUNDLE_SIGNATURE_MISMATCH', 400, 'INVALID_ARGUMENT', (where: string, reason: string) =>
    `The signature in the manifest of ${where} does not match its model file: ${reason}. Package the model again with berth package.`),
  BUNDLE_ARCHIVE_INVALID: define('BERTH_BUNDLE_ARCHIVE_INVALID', 400, 'INVALID_ARGUMENT', (file: string, reason: string) =>
    `${file} is not a readable .berth archive: ${reason}. Export it again with berth export; a copy cut short is the usual cause.`),
  BUNDLE_OUTPUT_EXISTS: define('BERTH_BUNDLE_OUTPUT_EXISTS', 409, 'ALREADY_EXISTS', (path: string) =>
    `${path} already exists and is not empty. Choose another output with -o, or remove it first.`),
  EXPORT_TARGET_MISSING: define('BERTH_EXPORT_TARGET_MISSING', 500, 'INTERNAL', (target: string, path: string) =>
    `This Berth was built without the files of export target '${target}' (${path} is missing). Run npm run build in Berth's folder, or reinstall Berth.`),

  // --- registry: models, versions and aliases ---
  REGISTRY_NAME_INVALID: define('BERTH_REGISTRY_NAME_INVALID', 400, 'INVALID_ARGUMENT', (kind: string, name: string, reason: string) =>
    `${kind} name ${JSON.stringify(name)} is invalid: ${reason}. Use letters, digits, '.', '_' and '-' (at most 128, starting with a letter or digit).`),
  REGISTRY_REFERENCE_INVALID: define('BERTH_REGISTRY_REFERENCE_INVALID', 400, 'INVALID_ARGUMENT', (reference: string, reason: string) =>
    `${JSON.stringify(reference)} is not a version reference: ${reason}. Use model (its production version, else its latest), model:version (e.g. digits:3) or model@alias (e.g. digits@production).`),
  REGISTRY_MODEL_NOT_FOUND: define('BERTH_REGISTRY_MODEL_NOT_FOUND', 404, 'NOT_FOUND', (model: string) =>
    `Model '${model}' is not in the registry. berth models lists the registered models.`),
  REGISTRY_VERSION_NOT_FOUND: define('BERTH_REGISTRY_VERSION_NOT_FOUND', 404, 'NOT_FOUND', (model: string, version: string) =>
    `Model '${model}' has no version ${version}. berth versions ${model} lists its versions.`),
  REGISTRY_ALIAS_NOT_FOUND: define('BERTH_REGISTRY_ALIAS_NOT_FOUND', 404, 'NOT_FOUND', (model: string, alias: string) =>
    `Model '${model}' has no alias '${alias}'. berth show ${model} lists its aliases.`),
  REGISTRY_ALIAS_ALREADY_SET: define('BERTH_REGISTRY_ALIAS_ALREADY_SET', 409, 'ALREADY_EXISTS', (model: string, alias: string, version: number) =>
    `Alias '${alias}' of model '${model}' already points at version ${version}; nothing changed.`),
  REGISTRY_CLOSED: define('BERTH_REGISTRY_CLOSED', 503, 'UNAVAILABLE', () =>
    'The registry is closed: this process is shutting down. Retry against another replica.'),
  REGISTRY_VERSION_IN_USE: define('BERTH_REGISTRY_VERSION_IN_USE', 409, 'FAILED_PRECONDITION', (model: string, version: number, aliases: readonly string[]) =>
    `Version ${version} of model '${model}' is what alias ${listNames(aliases)} points at. Move the alias first, or delete with --force to remove the alias too.`),
  REGISTRY_ROLLBACK_UNAVAILABLE: define('BERTH_REGISTRY_ROLLBACK_UNAVAILABLE', 409, 'FAILED_PRECONDITION', (model: string, alias: string, version: number) =>
    `Alias '${alias}' of model '${model}' points at version ${version} and no earlier version is left to roll back to; nothing changed. Point it at a version with berth alias ${model} ${alias} <version>.`),

  // --- rollouts ---
  ROLLOUT_GUARD_INVALID: define('BERTH_ROLLOUT_GUARD_INVALID', 400, 'INVALID_ARGUMENT', (guard: string, reason: string) =>
    `Guard ${JSON.stringify(guard)} does not parse: ${reason}. Write metric<limit, e.g. error_rate<0.01, p99_ms<50, p99_ms<1.5x (times the champion's), drift<0.1, disagreement<0.05.`),
  ROLLOUT_PLAN_INVALID: define('BERTH_ROLLOUT_PLAN_INVALID', 400, 'INVALID_ARGUMENT', (option: string, value: string, reason: string) =>
    `Rollout ${option} ${JSON.stringify(value)} is invalid: ${reason}. Example: --steps shadow,10,50,100 --bake 5m --interval 10s --min-requests 100.`),
  ROLLOUT_ALREADY_RUNNING: define('BERTH_ROLLOUT_ALREADY_RUNNING', 409, 'ALREADY_EXISTS', (model: string, id: string, challenger: number) =>
    `Model '${model}' already has a rollout running (${id}, to version ${challenger}); nothing was started. Follow it with berth rollout status ${model}, or stop it with berth rollout abort ${model}.`),
  ROLLOUT_NOT_FOUND: define('BERTH_ROLLOUT_NOT_FOUND', 404, 'NOT_FOUND', (model: string, id: string) =>
    `Model '${model}' has no rollout ${id}. berth rollout status ${model} --json lists its rollouts.`),
  ROLLOUT_NOT_RUNNING: define('BERTH_ROLLOUT_NOT_RUNNING', 409, 'FAILED_PRECONDITION', (model: string, what: string) =>
    `Model '${model}' has no rollout running (${what}); nothing was aborted. Start one with berth rollout ${model} <version>.`),
  ROLLOUT_CHALLENGER_INVALID: define('BERTH_ROLLOUT_CHALLENGER_INVALID', 409, 'FAILED_PRECONDITION', (model: string, version: number, reason: string) =>
    `A rollout of '${model}' to version ${version} cannot start: ${reason}. Nothing was started.`),
  ROLLOUT_CHALLENGER_FAILED: define('BERTH_ROLLOUT_CHALLENGER_FAILED', 422, 'FAILED_PRECONDITION', (model: string, version: number, reason: string) =>
    `The rollout of '${model}' to version ${version} failed before any traffic moved: ${reason}. Fix the version (or register a fixed one), then start a new rollout.`),
  ROLLOUT_RUNNING: define('BERTH_ROLLOUT_RUNNING', 409, 'FAILED_PRECONDITION', (model: string, id: string) =>
    `Model '${model}' has a rollout running (${id}); its production alias is left alone until it ends. To send traffic back to the champion now, run berth rollout abort ${model}.`),

  // --- retraining ---
  RETRAIN_POLICY_INVALID: define('BERTH_RETRAIN_POLICY_INVALID', 400, 'INVALID_ARGUMENT', (option: string, reason: string) =>
    `Retraining ${option} is invalid: ${reason}. Example: berth retrain loans --policy --every 1d --on-drift --promote rollout.`),
  RETRAIN_ALREADY_RUNNING: define('BERTH_RETRAIN_ALREADY_RUNNING', 409, 'ALREADY_EXISTS', (model: string, id: string) =>
    `Model '${model}' is already being retrained (job ${id}); one retraining runs at a time per model. Follow it with GET /api/models/${model}/retrain/jobs, or wait for it to finish.`),
  RETRAIN_NO_CHAMPION: define('BERTH_RETRAIN_NO_CHAMPION', 409, 'FAILED_PRECONDITION', (model: string, reason: string) =>
    `Model '${model}' cannot be retrained: ${reason}. Retraining starts from the production version (else the latest) trained by berth train.`),
  RETRAIN_DATA_NOT_KEPT: define('BERTH_RETRAIN_DATA_NOT_KEPT', 409, 'FAILED_PRECONDITION', (model: string, version: number) =>
    `Version ${version} of model '${model}' kept no training data, and retraining starts from it. Train with berth train --register --keep-data (or training.keepData in the config), then retrain.`),
  RETRAIN_NO_LABELLED_DATA: define('BERTH_RETRAIN_NO_LABELLED_DATA', 503, 'UNAVAILABLE', (model: string) =>
    `Retraining '${model}' needs its labelled traffic, and this server logs no payloads. Turn payload logging on (monitor.payloads) and send feedback for the logged requests.`),
  RETRAIN_TOO_FEW_ROWS: define('BERTH_RETRAIN_TOO_FEW_ROWS', 422, 'FAILED_PRECONDITION', (model: string, found: number, needed: number, window: string) =>
    `Model '${model}' has ${found} labelled rows in ${window}; retraining needs at least ${needed}. Send feedback for more requests, widen the window (--since), or lower the policy's minRows. Nothing was trained; the champion keeps serving.`),
  RETRAIN_SINGLE_CLASS: define('BERTH_RETRAIN_SINGLE_CLASS', 422, 'FAILED_PRECONDITION', (model: string, label: string, rows: number) =>
    `All ${rows} labelled rows of model '${model}' in the window are of class '${label}', so a challenger cannot be judged on them. Wait for feedback of other classes or widen the window. Nothing was trained; the champion keeps serving.`),
  RETRAIN_SCHEMA_CHANGED: define('BERTH_RETRAIN_SCHEMA_CHANGED', 422, 'FAILED_PRECONDITION', (model: string, version: number, problems: string) =>
    `The logged data of model '${model}' no longer fits the schema of version ${version}: ${problems}. Retrain by hand on data of the new shape (berth train). Nothing was trained; the champion keeps serving.`),
  RETRAIN_BLOB_STORE_FAILED: define('BERTH_RETRAIN_BLOB_STORE_FAILED', 503, 'UNAVAILABLE', (model: string, what: string, reason: string) =>
    `Retraining '${model}' could not ${what} in the blob store: ${reason}. Free space in the blob store or make it reachable, then retrain again. Nothing was promoted; the champion keeps serving.`),

  DEPLOYMENT_INVALID: define('BERTH_DEPLOYMENT_INVALID', 400, 'INVALID_ARGUMENT', (model: string, problems: string) =>
    `The deployment of model '${model}' is not valid: ${problems}. Nothing changed; fix it and send it again (berth traffic <model> 1=80 2=20, weights in percent summing to 100).`),
  DEPLOYMENT_VERSION_UNLOADABLE: define('BERTH_DEPLOYMENT_VERSION_UNLOADABLE', 422, 'FAILED_PRECONDITION', (model: string, version: number, reason: string) =>
    `Version ${version} of model '${model}' cannot be loaded (${reason}), so it cannot take traffic. Nothing changed; register a version that loads, or leave this one out.`),
  DEPLOYMENT_CHANGED: define('BERTH_DEPLOYMENT_CHANGED', 409, 'FAILED_PRECONDITION', (model: string, expected: number, actual: number) =>
    `The deployment of model '${model}' changed meanwhile (expected change ${expected}, found ${actual}). Nothing changed; read it again and retry.`),
  DEPLOYMENT_SHADOW_NOT_FOUND: define('BERTH_DEPLOYMENT_SHADOW_NOT_FOUND', 404, 'NOT_FOUND', (model: string, version: number, shadows: readonly number[]) =>
    `Version ${version} is not a shadow of model '${model}'${shadows.length ? `; its shadows are ${shadows.map(String).join(', ')}` : ': it has none'}. Add one with berth shadow <model> <version>.`),
  DEPLOYMENT_VERSION_IN_USE: define('BERTH_DEPLOYMENT_VERSION_IN_USE', 409, 'FAILED_PRECONDITION', (model: string, version: number) =>
    `Version ${version} of model '${model}' takes part in its deployment (a variant or a shadow). Change the deployment first (berth traffic, berth shadow --remove), or delete with --force to clear the deployment too.`),

  // --- monitor ---
  MONITOR_DATA_INVALID: define('BERTH_MONITOR_DATA_INVALID', 400, 'INVALID_ARGUMENT', (what: string, problem: string) =>
    `${what} is not valid monitor data: ${problem}. Sketches and profiles are written by Berth; rebuild the profile (berth package --reference) rather than editing them.`),
  MONITOR_OPTION_INVALID: define('BERTH_MONITOR_OPTION_INVALID', 400, 'INVALID_ARGUMENT', (option: string, problem: string) =>
    `Drift report option '${option}' is invalid: ${problem}.`),
  MONITOR_PROFILE_MISSING: define('BERTH_MONITOR_PROFILE_MISSING', 409, 'FAILED_PRECONDITION', (model: string, version: string) =>
    `Version ${version} of model '${model}' has no reference profile, so its traffic has nothing to be compared with. Train it with berth train (which stores the profile of the training data), or register it with --reference <training data.csv>.`),
  MONITOR_RANGE_INVALID: define('BERTH_MONITOR_RANGE_INVALID', 400, 'INVALID_ARGUMENT', (parameter: string, value: string, reason: string) =>
    `${parameter}=${value} is not usable: ${reason}. Give times as ISO 8601 (2025-01-31T12:00:00Z) or as durations ago (30m, 1h, 7d); a step is a duration such as 5m or 1h.`),
  MONITOR_FEEDBACK_INVALID: define('BERTH_MONITOR_FEEDBACK_INVALID', 400, 'INVALID_ARGUMENT', (problem: string) =>
    `The feedback is invalid: ${problem}. Send {"requestId": "<x-request-id of the prediction>", "actual": <true value>} or a list of them; for a request of several rows, actual is a list with one value per row.`),
  MONITOR_RULE_INVALID: define('BERTH_MONITOR_RULE_INVALID', 400, 'INVALID_ARGUMENT', (problems: string) =>
    `The alert rule is invalid: ${problems}. The Monitoring section of docs/api.md describes every field of a rule.`),
  MONITOR_RULE_NOT_FOUND: define('BERTH_MONITOR_RULE_NOT_FOUND', 404, 'NOT_FOUND', (id: string) =>
    `There is no alert rule '${id}'. GET /api/alerts/rules lists the rules.`),
  MONITOR_RULE_CONFLICT: define('BERTH_MONITOR_RULE_CONFLICT', 409, 'FAILED_PRECONDITION', (id: string, reason: string) =>
    `Alert rule '${id}' ${reason}.`),
  MONITOR_REFERENCE_INVALID: define('BERTH_MONITOR_REFERENCE_INVALID', 400, 'INVALID_ARGUMENT', (source: string, reason: string) =>
    `${source} cannot be the model's reference data: ${reason}.`),

  // --- images (berth build) and model folders ---
  IMAGE_OPTION_INVALID: define('BERTH_IMAGE_OPTION_INVALID', 400, 'INVALID_ARGUMENT', (problem: string) =>
    `Cannot build the image: ${problem}.`),
  IMAGE_BASE_UNSUPPORTED: define('BERTH_IMAGE_BASE_UNSUPPORTED', 400, 'FAILED_PRECONDITION', (base: string, reason: string) =>
    `The base ${base} cannot run Berth: ${reason}.`),
  IMAGE_BASE_INVALID: define('BERTH_IMAGE_BASE_INVALID', 400, 'INVALID_ARGUMENT', (base: string, reason: string) =>
    `The base ${base} cannot be read: ${reason}.`),
  IMAGE_PULL_FAILED: define('BERTH_IMAGE_PULL_FAILED', 502, 'UNAVAILABLE', (reference: string, reason: string) =>
    `Pulling the base ${reference} failed: ${reason}. Check the name and your network, log in (docker login) for a private base, or build with --base host.`),
  IMAGE_BUILD_FAILED: define('BERTH_IMAGE_BUILD_FAILED', 500, 'INTERNAL', (reason: string) =>
    `The image could not be built: ${reason}. Nothing was written.`),
  IMAGE_PUSH_FAILED: define('BERTH_IMAGE_PUSH_FAILED', 502, 'UNAVAILABLE', (reference: string, reason: string) =>
    `Pushing ${reference} failed: ${reason}.`),
  IMAGE_JOB_NOT_FOUND: define('BERTH_IMAGE_JOB_NOT_FOUND', 404, 'NOT_FOUND', (id: string) =>
    `No image build '${id}' on this server. GET /api/images lists the builds it keeps (the oldest finished ones are dropped).`),
  IMAGE_JOB_NOT_FINISHED: define('BERTH_IMAGE_JOB_NOT_FINISHED', 409, 'FAILED_PRECONDITION', (id: string, state: string) =>
    `Image build '${id}' is ${state}; its archive can be downloaded once it has succeeded. Poll GET /api/images/${id}.`),
  IMAGE_QUEUE_FULL: define('BERTH_IMAGE_QUEUE_FULL', 503, 'UNAVAILABLE', (waiting: number) =>
    `${waiting} image builds are already waiting. Retry once one has finished.`),
  MODEL_FOLDER_INVALID: define('BERTH_MODEL_FOLDER_INVALID', 400, 'INVALID_ARGUMENT', (folder: string, reason: string) =>
    `${folder} is not a model folder Berth can serve: ${reason}. Make one with berth build (it is /models in the image).`),

  // --- the CLI as a client ---
  REMOTE_FAILED: define('BERTH_REMOTE_FAILED', 503, 'UNAVAILABLE', (url: string, reason: string) =>
    `The server at ${url} did not do what was asked: ${reason}. Check the URL, the token (--token or BERTH_TOKEN) and the server's log.`),

  // --- anything else ---
  INTERNAL: define('BERTH_SERVER_INTERNAL', 500, 'INTERNAL', (requestId: string) =>
    `Internal server error (request ${requestId}). This is a bug in Berth: please report it with the server log for this request id.`),
} as const;

/** Every catalogue code as a union type (the typed client's errors carry one). */
export type ErrorCode = NonNullable<(typeof Errors)[keyof typeof Errors][typeof LITERAL_CODE]>;

/**
 * The level at which background work that retries on its next turn logs a failure: another
 * process holding a shared SQLite file's write lock is expected contention that passes, not a
 * fault an operator must act on; anything else is an error.
 */
export function retryLogLevel(error: unknown): 'warn' | 'error' {
  return Errors.STORE_LOCKED.is(error) ? 'warn' : 'error';
}

/** The code of every catalogue entry, for docs and tests. */
export function catalogue(): readonly ErrorDefinition<readonly never[]>[] {
  return Object.values(Errors) as unknown as ErrorDefinition<readonly never[]>[];
}

/** A catalogue error as it crosses a thread: what {@link reviveError} turns back into one. */
export interface SerialisedError {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The parts of a catalogue error a worker thread sends back (an Error loses its fields when cloned). */
export function serialiseError(error: BerthError): SerialisedError {
  return { code: error.code, message: error.message, details: error.details };
}

/**
 * The catalogue error a worker thread raised, with its code's status; undefined for a code the
 * catalogue does not hold.
 */
export function reviveError(serialised: SerialisedError): BerthError | undefined {
  const definition = catalogue().find((entry) => entry.code === serialised.code);
  return definition ? new BerthError(definition.code, definition.httpStatus, definition.grpcStatus, serialised.message, serialised.details) : undefined;
}

function listNames(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}
