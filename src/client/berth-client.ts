/**
 * BerthClient: a small, dependency-free client for a Berth server (or any Open Inference Protocol
 * server) that runs in Node.js 20+ and in browsers. It speaks the Open Inference Protocol in JSON
 * and with the binary tensor extension (typed tensors, 64-bit integers exact), the named-feature
 * prediction API, feedback and the management API, retries 503 and 429 answers after their
 * Retry-After, times out each attempt, and throws errors carrying the server's catalogue code.
 *
 * @example
 *   import { BerthClient, tensor } from 'berth/client';
 *   const berth = new BerthClient({ url: 'http://127.0.0.1:8080' });
 *   const { outputs } = await berth.infer('digits', [tensor('x', 'FP32', [1, 64], pixels)], { binary: true });
 *   const answer = await berth.predict('loans@production', [{ age: 41, income: 52000 }]);
 *   await berth.feedback('loans', { requestId: answer.requestId, actual: 'yes' });
 */
import type { Datatype } from '../core/datatypes.js';
import type {
  AlertRecord,
  AlertRuleBody,
  AlertRuleRecord,
  AliasChange,
  AliasRecord,
  AuditEntry,
  AuditQuery,
  DeleteResult,
  DriftHistory,
  DriftHistoryQuery,
  DriftQuery,
  DriftReport,
  FeedbackBody,
  FeedbackResult,
  LoggedRequest,
  ModelDetail,
  ModelListEntry,
  PerformanceQuery,
  PerformanceReport,
  PredictResponse,
  RegisterResult,
  ServerStatus,
  Traffic,
  TrafficQuery,
  TrainingJob,
  VersionDetail,
  VersionRecord,
} from './api-types.js';
import { BerthProtocolError } from './client-errors.js';
import { type Exchange, type ExchangeRequest, HttpTransport, type RetryOptions, type TransportOptions, jsonOf } from './http-transport.js';
import { HEADER_LENGTH, type InferResponse, type OutputRequest, ProtocolError, decodeInferResponse, encodeInferRequest } from './oip-wire.js';
import { type AnyTensor, type Tensor, type TensorInput, tensor } from './tensors.js';

/** Options of a {@link BerthClient}. */
export type BerthClientOptions = TransportOptions;

/** Options every call takes. */
export interface CallOptions extends RetryOptions {
  /** Cancels the call (and any wait between retries). */
  readonly signal?: AbortSignal;
}

/** `GET /v2`: the server's name, version and protocol extensions. */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** One input or output of a model, as its metadata describes it (-1 for a dynamic dimension). */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** `GET /v2/models/{name}`: a model's versions, platform, inputs and outputs. */
export interface ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

/** A version of a model, for the inference protocol's paths. */
export interface VersionOption extends CallOptions {
  /** A version number (`/v2/models/{name}/versions/{version}`); the model's default otherwise. */
  readonly version?: string | number;
}

/** An output to ask for, by name or with its parameters. */
export type OutputSelection = string | { readonly name: string; readonly binary?: boolean; readonly parameters?: Readonly<Record<string, unknown>> };

/** Options of {@link BerthClient.infer}. */
export interface InferOptions extends VersionOption {
  /** Request id, echoed in the answer. */
  readonly id?: string;
  /** Only these outputs (all by default). */
  readonly outputs?: readonly OutputSelection[];
  /** Send inputs and receive outputs as binary tensor data (faster for large tensors); default false. */
  readonly binary?: boolean;
  /** Overrides `binary` for the inputs. */
  readonly binaryInputs?: boolean;
  /** Overrides `binary` for the outputs. */
  readonly binaryOutputs?: boolean;
  /** Request-level parameters. */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** The answer of {@link BerthClient.infer}: typed output tensors. */
export interface InferResult extends InferResponse {
  /** The output called `name`; throws when the answer has none. */
  output(name: string): AnyTensor;
}

/** Rows of named features: a list of records, or columns of equal length. */
export type FeatureRows = readonly Readonly<Record<string, unknown>>[] | { readonly columns: Readonly<Record<string, readonly unknown[]>> };

/** Options of {@link BerthClient.register}. */
export interface RegisterOptions extends CallOptions {
  /** The file name sent with the upload; it tells `.onnx` from `.berth`. */
  readonly filename: string;
  /** The model's name (default: from the file). */
  readonly name?: string;
  /** Aliases to point at the new version. */
  readonly aliases?: readonly string[];
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Options of {@link BerthClient.train}. */
export interface TrainOptions extends CallOptions {
  readonly target: string;
  readonly filename?: string;
  readonly task?: string;
  readonly algorithm?: string;
  readonly name?: string;
  readonly seed?: number;
  /** `balanced` weighs rare classes up (classification only). */
  readonly classWeight?: 'none' | 'balanced';
  /** Write a strict schema: values training never saw are refused when served. */
  readonly strict?: boolean;
  /** K-fold cross-validation (2 to 20 folds) instead of a held-out split. */
  readonly folds?: number;
}

function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}

function modelPath(model: string, version: string | number | undefined): string {
  return `/v2/models/${segment(model)}${version !== undefined ? `/versions/${segment(version)}` : ''}`;
}

function toTensor(input: TensorInput | Tensor): Tensor {
  const made = tensor(input.name, input.datatype, input.shape, input.data);
  return input.parameters ? { ...made, parameters: input.parameters } : made;
}

function blobOf(file: Blob | Uint8Array | string, type: string): Blob {
  if (typeof Blob !== 'undefined' && file instanceof Blob) return file;
  return new Blob([file as Uint8Array<ArrayBuffer>], { type });
}

/** A client of one Berth server. */
export class BerthClient {
  readonly #transport: HttpTransport;

  constructor(options: BerthClientOptions) {
    this.#transport = new HttpTransport(options);
  }

  /** The server's base URL. */
  get url(): string {
    return this.#transport.url;
  }

  // --- Open Inference Protocol ---

  /** `GET /v2/health/live`: whether the server process answers. */
  async live(options: CallOptions = {}): Promise<boolean> {
    return (await this.#json<{ live: boolean }>({ method: 'GET', path: '/v2/health/live' }, options)).live === true;
  }

  /** `GET /v2/health/ready`: whether the server accepts inference (false while starting or stopping). */
  async ready(options: CallOptions = {}): Promise<boolean> {
    return this.#readiness('/v2/health/ready', options);
  }

  /** `GET /v2/models/{name}[/versions/{v}]/ready`: whether a model accepts inference. */
  async modelReady(model: string, options: VersionOption = {}): Promise<boolean> {
    return this.#readiness(`${modelPath(model, options.version)}/ready`, options);
  }

  /** `GET /v2`: server metadata. */
  async serverMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return this.#json<ServerMetadata>({ method: 'GET', path: '/v2' }, options);
  }

  /** `GET /v2/models/{name}[/versions/{v}]`: a model's inputs and outputs. */
  async modelMetadata(model: string, options: VersionOption = {}): Promise<ModelMetadata> {
    return this.#json<ModelMetadata>({ method: 'GET', path: modelPath(model, options.version) }, options);
  }

  /**
   * `POST /v2/models/{name}[/versions/{v}]/infer`. Inputs are typed tensors (see `tensor()`), or
   * plain values that are checked and converted; outputs come back typed by their datatype.
   */
  async infer(model: string, inputs: readonly (TensorInput | Tensor)[], options: InferOptions = {}): Promise<InferResult> {
    const binaryInputs = options.binaryInputs ?? options.binary ?? false;
    const binaryOutputs = options.binaryOutputs ?? options.binary ?? false;
    const outputs: OutputRequest[] | undefined = options.outputs?.map((o) => {
      const selection = typeof o === 'string' ? { name: o } : o;
      const binary = selection.binary ?? (binaryOutputs ? true : undefined);
      const parameters = { ...selection.parameters, ...(binary !== undefined ? { binary_data: binary } : {}) };
      return { name: selection.name, ...(Object.keys(parameters).length > 0 ? { parameters } : {}) };
    });
    const parameters = binaryOutputs && !outputs ? { ...options.parameters, binary_data_output: true } : options.parameters;
    const encoded = encodeInferRequest({
      ...(options.id !== undefined ? { id: options.id } : {}),
      inputs: inputs.map(toTensor),
      ...(outputs ? { outputs } : {}),
      ...(parameters ? { parameters } : {}),
      binaryInputs,
    });
    const answer = await this.#exchange(
      { method: 'POST', path: `${modelPath(model, options.version)}/infer`, body: encoded.body, headers: encoded.headers },
      options,
    );
    let decoded: InferResponse;
    try {
      decoded = decodeInferResponse(answer.body, answer.headers.get(HEADER_LENGTH));
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof SyntaxError) throw new BerthProtocolError(`The answer of model '${model}' does not follow the protocol: ${error.message}`, error);
      throw error;
    }
    return {
      ...decoded,
      output(name: string): AnyTensor {
        const found = decoded.outputs.find((o) => o.name === name);
        if (!found) throw new BerthProtocolError(`The answer has no output '${name}'; it has ${decoded.outputs.map((o) => `'${o.name}'`).join(', ') || 'none'}`);
        return found;
      },
    };
  }

  // --- Named features and feedback ---

  /**
   * `POST /api/models/{ref}/predict`: named results for rows of named features. `ref` is `name`,
   * `name@alias` or `name:version`.
   */
  async predict(ref: string, rows: FeatureRows, options: CallOptions = {}): Promise<PredictResponse> {
    const body = Array.isArray(rows) ? { records: rows } : rows;
    return this.#json({ method: 'POST', path: `/api/models/${segment(ref)}/predict`, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, options);
  }

  /** `POST /api/models/{ref}/predict` with CSV text (a header row, then rows). */
  async predictCsv(ref: string, csv: string, options: CallOptions = {}): Promise<PredictResponse> {
    return this.#json({ method: 'POST', path: `/api/models/${segment(ref)}/predict`, body: csv, headers: { 'content-type': 'text/csv' } }, options);
  }

  /** `POST /api/models/{name}/feedback`: the actual outcome of earlier predictions, by request id. */
  async feedback(model: string, feedback: FeedbackBody, options: CallOptions = {}): Promise<FeedbackResult> {
    return this.#post(`/api/models/${segment(model)}/feedback`, feedback, options);
  }

  // --- Registry ---

  /** `GET /api/models`: every model (with its monitoring summary when `summary` is true). */
  async models(options: CallOptions & { readonly summary?: boolean } = {}): Promise<ModelListEntry[]> {
    const answer = await this.#json<{ models: ModelListEntry[] }>({ method: 'GET', path: '/api/models', query: { summary: options.summary } }, options);
    return answer.models;
  }

  /** `GET /api/models/{name}`: a model and its versions. */
  async model(name: string, options: CallOptions = {}): Promise<ModelDetail> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}` }, options);
  }

  /** `GET /api/models/{name}/versions`. */
  async versions(name: string, options: CallOptions = {}): Promise<VersionRecord[]> {
    return (await this.#json<{ versions: VersionRecord[] }>({ method: 'GET', path: `/api/models/${segment(name)}/versions` }, options)).versions;
  }

  /** `GET /api/models/{name}/versions/{n}`: a version with its manifest. */
  async version(name: string, version: number, options: CallOptions = {}): Promise<VersionDetail> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}/versions/${segment(version)}` }, options);
  }

  /** `POST /api/models`: registers an `.onnx` file or a `.berth` bundle as a new version. */
  async register(file: Blob | Uint8Array, options: RegisterOptions): Promise<RegisterResult> {
    const form = new FormData();
    form.append('file', blobOf(file, 'application/octet-stream'), options.filename);
    if (options.name !== undefined) form.append('name', options.name);
    for (const alias of options.aliases ?? []) form.append('alias', alias);
    if (options.description !== undefined) form.append('description', options.description);
    if (options.tags !== undefined) form.append('tags', JSON.stringify(options.tags));
    return this.#json({ method: 'POST', path: '/api/models', body: form }, { retries: 0, ...options });
  }

  /** `PUT /api/models/{name}/aliases/{alias}`: points an alias at a version. */
  async setAlias(name: string, alias: string, version: number, options: CallOptions = {}): Promise<AliasChange> {
    return this.#json(
      { method: 'PUT', path: `/api/models/${segment(name)}/aliases/${segment(alias)}`, body: JSON.stringify({ version }), headers: { 'content-type': 'application/json' } },
      options,
    );
  }

  /** `DELETE /api/models/{name}/aliases/{alias}`. */
  async deleteAlias(name: string, alias: string, options: CallOptions = {}): Promise<AliasRecord> {
    return this.#json({ method: 'DELETE', path: `/api/models/${segment(name)}/aliases/${segment(alias)}` }, options);
  }

  /** `DELETE /api/models/{name}/versions/{n}`; `force` also removes the aliases pointing at it. */
  async deleteVersion(name: string, version: number, options: CallOptions & { readonly force?: boolean } = {}): Promise<DeleteResult> {
    return this.#json({ method: 'DELETE', path: `/api/models/${segment(name)}/versions/${segment(version)}`, query: { force: options.force } }, options);
  }

  /** `GET /api/audit`: who changed what in the registry. */
  async audit(query: AuditQuery = {}, options: CallOptions = {}): Promise<AuditEntry[]> {
    return (await this.#json<{ entries: AuditEntry[] }>({ method: 'GET', path: '/api/audit', query }, options)).entries;
  }

  /** `GET /api/server`: what this replica serves, and versions that failed to load. */
  async server(options: CallOptions = {}): Promise<ServerStatus> {
    return this.#json({ method: 'GET', path: '/api/server' }, options);
  }

  // --- Monitoring ---

  /** `GET /api/models/{name}/monitor/drift`: a drift report (default: the last 24 hours). */
  async drift(name: string, query: DriftQuery = {}, options: CallOptions = {}): Promise<DriftReport> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}/monitor/drift`, query }, options);
  }

  /** `GET /api/models/{name}/monitor/drift/history`. */
  async driftHistory(name: string, query: DriftHistoryQuery = {}, options: CallOptions = {}): Promise<DriftHistory> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}/monitor/drift/history`, query }, options);
  }

  /** `GET /api/models/{name}/monitor/traffic`. */
  async traffic(name: string, query: TrafficQuery = {}, options: CallOptions = {}): Promise<Traffic> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}/monitor/traffic`, query }, options);
  }

  /** `GET /api/models/{name}/monitor/performance`: metrics from feedback. */
  async performance(name: string, query: PerformanceQuery = {}, options: CallOptions = {}): Promise<PerformanceReport> {
    return this.#json({ method: 'GET', path: `/api/models/${segment(name)}/monitor/performance`, query }, options);
  }

  /** `GET /api/models/{name}/monitor/requests`: the sampled prediction log. */
  async loggedRequests(name: string, options: CallOptions & { readonly limit?: number } = {}): Promise<LoggedRequest[]> {
    const answer = await this.#json<{ requests: LoggedRequest[] }>({ method: 'GET', path: `/api/models/${segment(name)}/monitor/requests`, query: { limit: options.limit } }, options);
    return answer.requests;
  }

  /** `GET /api/alerts`: alerts, firing first. */
  async alerts(options: CallOptions & { readonly state?: 'firing' | 'resolved' } = {}): Promise<AlertRecord[]> {
    return (await this.#json<{ alerts: AlertRecord[] }>({ method: 'GET', path: '/api/alerts', query: { state: options.state } }, options)).alerts;
  }

  /** `GET /api/alerts/rules`. */
  async alertRules(options: CallOptions = {}): Promise<AlertRuleRecord[]> {
    return (await this.#json<{ rules: AlertRuleRecord[] }>({ method: 'GET', path: '/api/alerts/rules' }, options)).rules;
  }

  /** `POST /api/alerts/rules`. */
  async addAlertRule(rule: AlertRuleBody, options: CallOptions = {}): Promise<AlertRuleRecord> {
    return this.#post('/api/alerts/rules', rule, options);
  }

  /** `DELETE /api/alerts/rules/{id}`. */
  async deleteAlertRule(id: string, options: CallOptions = {}): Promise<void> {
    await this.#exchange({ method: 'DELETE', path: `/api/alerts/rules/${segment(id)}` }, options);
  }

  // --- Training ---

  /** `POST /api/training`: trains a model on CSV data in the server; follow it with {@link trainingJob}. */
  async train(csv: Blob | Uint8Array | string, options: TrainOptions): Promise<TrainingJob> {
    const form = new FormData();
    form.append('file', blobOf(csv, 'text/csv'), options.filename ?? 'data.csv');
    form.append('target', options.target);
    for (const key of ['task', 'algorithm', 'name', 'seed', 'classWeight', 'strict', 'folds'] as const) if (options[key] !== undefined) form.append(key, String(options[key]));
    return this.#json({ method: 'POST', path: '/api/training', body: form }, { retries: 0, ...options });
  }

  /** `GET /api/training`: training jobs, newest first. */
  async trainingJobs(options: CallOptions = {}): Promise<TrainingJob[]> {
    return (await this.#json<{ jobs: TrainingJob[] }>({ method: 'GET', path: '/api/training' }, options)).jobs;
  }

  /** `GET /api/training/{id}`. */
  async trainingJob(id: string, options: CallOptions = {}): Promise<TrainingJob> {
    return this.#json({ method: 'GET', path: `/api/training/${segment(id)}` }, options);
  }

  /**
   * `GET /api/training/{id}/events`: the job now and each change, until it has succeeded or failed
   * (server-sent events). Break out of the loop, or abort `signal`, to stop listening.
   *
   * @example
   *   for await (const job of berth.trainingEvents(id)) console.log(job.state, job.progress.fraction);
   */
  async *trainingEvents(id: string, options: CallOptions = {}): AsyncGenerator<TrainingJob> {
    const { signal, ...retry } = options;
    const response = await this.#transport.stream({
      method: 'GET',
      path: `/api/training/${segment(id)}/events`,
      headers: { accept: 'text/event-stream' },
      ...(signal ? { signal } : {}),
      retry: pickRetry(retry),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseServerSentEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.name === 'end') return;
          if (event.data !== undefined) yield JSON.parse(event.data) as TrainingJob;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** `POST /api/training/{id}/register`: registers a finished job's bundle. */
  async registerTrainingJob(id: string, target: { readonly name?: string; readonly alias?: string } = {}, options: CallOptions = {}): Promise<RegisterResult> {
    return this.#post(`/api/training/${segment(id)}/register`, target, options);
  }

  // --- plumbing ---

  async #readiness(path: string, options: CallOptions): Promise<boolean> {
    // 503 is the answer "not ready", not a reason to retry.
    try {
      await this.#exchange({ method: 'GET', path }, { ...options, retries: 0 });
      return true;
    } catch (error) {
      if (error instanceof Error && (error as { status?: number }).status === 503) return false;
      throw error;
    }
  }

  async #post<T>(path: string, body: unknown, options: CallOptions): Promise<T> {
    return this.#json({ method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, options);
  }

  async #json<T>(request: Omit<ExchangeRequest, 'signal' | 'retry'>, options: CallOptions): Promise<T> {
    return jsonOf<T>(await this.#exchange(request, options));
  }

  #exchange(request: Omit<ExchangeRequest, 'signal' | 'retry'>, options: CallOptions): Promise<Exchange> {
    const { signal, ...retry } = options;
    return this.#transport.exchange({ ...request, ...(signal ? { signal } : {}), retry: pickRetry(retry) });
  }
}

/** One server-sent event block: its `event:` name and its `data:` lines joined; comments skipped. */
function parseServerSentEvent(block: string): { name?: string; data?: string } {
  let name: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { ...(name !== undefined ? { name } : {}), ...(data.length > 0 ? { data: data.join('\n') } : {}) };
}

function pickRetry(options: RetryOptions): RetryOptions {
  const out: { -readonly [K in keyof RetryOptions]: RetryOptions[K] } = {};
  if (options.retries !== undefined) out.retries = options.retries;
  if (options.retryBaseDelayMs !== undefined) out.retryBaseDelayMs = options.retryBaseDelayMs;
  if (options.maxRetryDelayMs !== undefined) out.maxRetryDelayMs = options.maxRetryDelayMs;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  return out;
}
