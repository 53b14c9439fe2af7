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
  | 'INTERNAL'
  | 'UNIMPLEMENTED';

/** One entry of the catalogue: a factory for errors of one code. */
export interface ErrorDefinition<Args extends readonly unknown[]> {
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcStatus: GrpcStatus;
  /** Builds the error; the arguments fill the message template. */
  create(...args: Args): BerthError;
  /** True when `error` is a BerthError of this code. */
  is(error: unknown): error is BerthError;
}

/** An error from the catalogue. `details` carries machine-readable context (never secrets). */
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

function define<Args extends readonly unknown[]>(
  code: string,
  httpStatus: number,
  grpcStatus: GrpcStatus,
  template: (...args: Args) => string,
): ErrorDefinition<Args> {
  return {
    code,
    httpStatus,
    grpcStatus,
    create: (...args) => new BerthError(code, httpStatus, grpcStatus, template(...args)),
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
  OUTPUT_UNKNOWN: define('BERTH_OUTPUT_UNKNOWN', 400, 'INVALID_ARGUMENT', (output: string, model: string, expected: readonly string[]) =>
    `Requested output '${output}' is not an output of model '${model}'; its outputs are ${listNames(expected)}.`),
  BINARY_HEADER: define('BERTH_BINARY_HEADER', 400, 'INVALID_ARGUMENT', (reason: string) =>
    `Binary tensor request is malformed: ${reason}. See the binary tensor data extension of the Open Inference Protocol.`),

  // --- models and serving ---
  MODEL_NOT_FOUND: define('BERTH_MODEL_NOT_FOUND', 404, 'NOT_FOUND', (model: string) =>
    `Model '${model}' is not served here. GET /v1/models lists the models served here.`),
  VERSION_NOT_FOUND: define('BERTH_VERSION_NOT_FOUND', 404, 'NOT_FOUND', (model: string, version: string) =>
    `Version '${version}' of model '${model}' is not served here. GET /v2/models/${model} lists its versions.`),
  MODEL_NOT_READY: define('BERTH_MODEL_NOT_READY', 503, 'UNAVAILABLE', (model: string) =>
    `Model '${model}' is not ready to serve yet. Retry shortly; GET /v2/models/${model}/ready tells when it is.`),
  SERVER_SHUTTING_DOWN: define('BERTH_SERVER_SHUTTING_DOWN', 503, 'UNAVAILABLE', () =>
    'The server is shutting down and takes no new requests. Retry against another replica.'),
  MODEL_LOAD_FAILED: define('BERTH_MODEL_LOAD_FAILED', 500, 'FAILED_PRECONDITION', (file: string, reason: string) =>
    `Could not load model from ${file}: ${reason}. Check that the file is a valid ONNX model that onnxruntime supports.`),
  MODEL_SPEC_INVALID: define('BERTH_MODEL_SPEC_INVALID', 400, 'INVALID_ARGUMENT', (spec: string, reason: string) =>
    `Model argument '${spec}' is invalid: ${reason}. Use path/to/model.onnx or name=path/to/model.onnx.`),
  MODEL_EXECUTION_FAILED: define('BERTH_MODEL_EXECUTION_FAILED', 500, 'INTERNAL', (model: string, reason: string) =>
    `Model '${model}' failed while running: ${reason}`),

  // --- configuration ---
  CONFIG_INVALID: define('BERTH_CONFIG_INVALID', 400, 'INVALID_ARGUMENT', (problems: string) =>
    `Invalid configuration: ${problems}. Fix the config file, BERTH_* variables or flags named above.`),

  // --- anything else ---
  INTERNAL: define('BERTH_SERVER_INTERNAL', 500, 'INTERNAL', (requestId: string) =>
    `Internal server error (request ${requestId}). This is a bug in Berth: please report it with the server log for this request id.`),
} as const;

/** The code of every catalogue entry, for docs and tests. */
export function catalogue(): readonly ErrorDefinition<readonly never[]>[] {
  return Object.values(Errors) as unknown as ErrorDefinition<readonly never[]>[];
}

function listNames(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}
