/**
 * The transport-free data plane: health, metadata and inference over the live models. REST, gRPC
 * and KServe V1 decode their wire format into these types, call the data plane, and encode what it
 * returns. The data plane resolves the loaded version, checks tensors against its signature,
 * delegates the run to it, and observes every request the same way (readiness, timing, outcome,
 * error wrapping, recording for the monitor).
 */
import { type Datatype, type TensorData, datatypeInfo, isDatatype } from '../core/datatypes.js';
import { BerthError, Errors } from '../core/errors.js';
import { parseModelRef, parseVersionNumber } from '../core/model-ref.js';
import { advertisedShape, predictedOutputBytes, shapeFits } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';
import { elementCount, formatShape, tensorsByteLength } from '../core/tensor.js';
import {
  type Columns,
  eventFromFailure,
  eventFromRecordReader,
  eventFromRecords,
  eventFromTensors,
  LARGE_EVENT_ROWS,
  type PredictionEvent,
  type PredictionOutcome,
  type PredictionProtocol,
  type RequestFacts,
  selectionLength,
  tensorFeatures,
  tensorRows,
  tensorRowsAt,
} from '../monitor/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { Pipeline, RowPredictions } from '../runtime/pipeline.js';
import type { ModelTable } from './model-table.js';
import { AfterResponseQueue } from './after-response-queue.js';
import type { ShadowRunner } from './shadow-runner.js';
import { type RouteKeySource, chooseVariant, routeKey } from './variant-choice.js';

/** The response header (gRPC: metadata) naming the version that answered an inference request, on every protocol. */
export const MODEL_VERSION_HEADER = 'x-berth-model-version';

function outcomeOf(error: BerthError): Exclude<PredictionOutcome, 'success'> {
  return error.httpStatus < 500 ? 'client_error' : 'server_error';
}

/**
 * The data of one input as the wire carried it. It is decoded only after the input's name,
 * datatype and shape have been checked against the model, so a request cannot make the server
 * allocate more than it actually sent.
 */
export interface TensorDataSource {
  decode(datatype: Datatype, shape: readonly number[], input: string): TensorData;
}

/** One input of an inference request, before its data is decoded. */
export interface InferenceInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly unknown[];
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly data: TensorDataSource;
}

/** An output the caller asked for, with its transport parameters. */
export interface RequestedOutput {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** An inference request in transport-free form. */
export interface InferenceRequest {
  readonly id?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly inputs: readonly InferenceInput[];
  /** Outputs to return; all when absent. */
  readonly outputs?: readonly RequestedOutput[];
}

/** The answer to an inference request. */
export interface InferenceResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id?: string;
  readonly outputs: readonly Tensor[];
}

/**
 * Named predictions for rows (with the fields ignored and the values validated), the version that
 * made them, and the outputs they were decoded from.
 */
export interface RecordPredictions extends RowPredictions {
  readonly model: LoadedVersion;
  readonly outputs: readonly Tensor[];
}

/**
 * The answer of {@link DataPlane.predictEncoded}: the pipeline's outputs for `rows` rows, not yet
 * decoded into predictions (a large answer is decoded where it is encoded), and what validation
 * noticed.
 */
export interface EncodedRecordPredictions {
  readonly model: LoadedVersion;
  readonly outputs: readonly Tensor[];
  readonly rows: number;
  readonly unknownFields: readonly string[];
  readonly valueWarnings: RowPredictions['valueWarnings'];
}

/** Rows validated and encoded off the event loop (see BodyCodecPool.encodeRecords). */
export interface EncodedRecords {
  readonly tensor: Tensor;
  readonly rows: number;
  readonly unknownFields: readonly string[];
  readonly valueWarnings: RowPredictions['valueWarnings'];
  /** The rows encoded for each further pipeline asked for, or the error that pipeline's schema raised. */
  readonly others?: readonly (Tensor | BerthError)[];
}

/**
 * Encodes a request's rows for each pipeline given, the answering version's first, parsing its
 * body once (BodyCodecPool.encodeRecords).
 */
export type RecordsEncoder = (pipelines: readonly Pipeline[]) => Promise<EncodedRecords>;

/** Server metadata (OIP `GET /v2`). */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** Model metadata (OIP `GET /v2/models/{name}`). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly { name: string; datatype: Datatype; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; datatype: Datatype; shape: readonly number[]; parameters?: { labels: readonly string[] } }[];
}

/** Options for {@link DataPlane}. */
export interface DataPlaneOptions {
  readonly models: ModelTable;
  readonly serverName: string;
  readonly serverVersion: string;
  /** Receives every prediction (the monitor), called off the request path. */
  readonly recorder?: (event: PredictionEvent) => void;
  /**
   * Told when recording a prediction failed (turning it into an event, or the recorder itself);
   * the response has gone already, so this is for the server's log.
   */
  readonly onRecordError?: (error: unknown) => void;
  /** Most bytes of tensor data one answer may hold (default unbounded). */
  readonly maxResponseBytes?: number;
  /** Runs copies of requests on the shadows of deployments; absent: shadows see nothing. */
  readonly shadows?: ShadowRunner;
  /**
   * Versions that should be served but could not load, with nothing standing in for them (the
   * registry follower's failures): while there are any, the server is not ready.
   */
  readonly unloaded?: () => readonly UnloadedVersion[];
}

/** A version that should be served and is not, and why. */
export interface UnloadedVersion {
  readonly model: string;
  readonly version: string;
  readonly reason: string;
}

/** Whether the server takes traffic; when not, a catalogue error saying why. */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly error: BerthError };

/** Who asked, for the monitor: the request id and the protocol it came through. */
export interface RequestContext {
  readonly requestId: string;
  readonly protocol: PredictionProtocol;
  /**
   * True when the request named the model plainly, so its deployment chose the version: only such
   * requests are copied to the deployment's shadows (one naming a version or an alias is not).
   */
  readonly routed?: boolean;
}

const ANONYMOUS: RequestContext = { requestId: '', protocol: 'v2-rest' };

/** Health, metadata and inference for every transport. */
export class DataPlane {
  readonly #models: ModelTable;
  readonly #metadata: ServerMetadata;
  readonly #recorder: ((event: PredictionEvent) => void) | undefined;
  /** Where recording waits until the response is on its way. */
  readonly #afterResponse: AfterResponseQueue;
  readonly #maxResponseBytes: number;
  readonly #shadows: ShadowRunner | undefined;
  readonly #unloaded: () => readonly UnloadedVersion[];
  #ready = false;

  constructor(options: DataPlaneOptions) {
    this.#models = options.models;
    this.#recorder = options.recorder;
    this.#afterResponse = new AfterResponseQueue(options.onRecordError ?? (() => undefined));
    this.#maxResponseBytes = options.maxResponseBytes ?? Infinity;
    this.#shadows = options.shadows;
    this.#unloaded = options.unloaded ?? (() => []);
    this.#metadata = Object.freeze({
      name: options.serverName,
      version: options.serverVersion,
      extensions: Object.freeze(['binary_tensor_data']),
    });
  }

  /**
   * Hands the monitor now the requests answered but not yet recorded (recording waits for the end
   * of the turn), so feedback that follows its answer at once finds the prediction.
   */
  recordAnswered(): void {
    this.#afterResponse.runQueued();
  }

  /** Marks the server ready (after start-up) or not (while shutting down). */
  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  serverMetadata(): ServerMetadata {
    return this.#metadata;
  }

  /** The process is up and able to answer. */
  isLive(): boolean {
    return true;
  }

  /** Every version that should be served is loaded and the server is not shutting down. */
  isReady(): boolean {
    return this.readiness().ready;
  }

  /** {@link isReady}, with the reason when not: shutting down, or versions that could not load. */
  readiness(): Readiness {
    if (!this.#ready) return { ready: false, error: Errors.SERVER_SHUTTING_DOWN.create() };
    const unloaded = this.#unloaded();
    if (unloaded.length === 0) return { ready: true };
    const list = unloaded.map((u) => `${u.model}:${u.version} (${u.reason})`).join('; ');
    return { ready: false, error: Errors.SERVER_VERSIONS_UNLOADED.create(list, { details: { unloaded } }) };
  }

  /** Names of every served model. */
  modelNames(): readonly string[] {
    return this.#models.names();
  }

  /**
   * The served version named by its number as the wire carries it; when absent, the variant of
   * the model's deployment the request's sticky key (`keys`) or chance picks, else the default
   * version. 404 errors when not served.
   */
  resolve(name: string, version?: string, keys?: RouteKeySource): LoadedVersion {
    if (version === undefined) return this.#resolve(name, undefined, undefined, keys);
    let number: number;
    try {
      number = parseVersionNumber(version);
    } catch {
      // A version that is not a number is, at this address, a version not served here.
      if (!this.#models.has(name)) throw Errors.MODEL_NOT_FOUND.create(name);
      throw Errors.VERSION_NOT_FOUND.create(name, version);
    }
    return this.#resolve(name, number, version);
  }

  #resolve(name: string, number: number | undefined, asWritten: string | undefined, keys?: RouteKeySource): LoadedVersion {
    if (number === undefined) {
      const routed = this.#route(name, keys);
      if (routed) return routed;
    }
    const model = this.#models.get(name, number);
    if (model) return model;
    if (!this.#models.has(name)) throw Errors.MODEL_NOT_FOUND.create(name);
    if (number !== undefined) throw Errors.VERSION_NOT_FOUND.create(name, asWritten ?? String(number));
    throw Errors.MODEL_NO_DEFAULT.create(name, this.#models.versions(name).map((m) => String(m.version)));
  }

  /**
   * The variant of the model's deployment that answers a request naming the model plainly
   * (variant-choice.ts); undefined when it has no variants. Without `keys` (metadata, readiness)
   * the default version answers, else the first variant.
   */
  #route(name: string, keys: RouteKeySource | undefined): LoadedVersion | undefined {
    const deployment = this.#models.deployment(name);
    if (deployment === undefined || deployment.variants.length === 0) return undefined;
    if (keys === undefined) return this.#models.get(name) ?? this.#models.get(name, deployment.variants[0]!.version);
    return this.#models.get(name, chooseVariant(name, deployment, routeKey(deployment.sticky, keys)));
  }

  /**
   * Resolves `name`, `name@alias` or `name:version` (core/model-ref.ts) to a served version; a
   * plain name is routed by the model's deployment, with the request's sticky key from `keys`.
   */
  resolveReference(reference: string, keys?: RouteKeySource): LoadedVersion {
    const ref = parseModelRef(reference);
    if (ref.kind === 'version') return this.#resolve(ref.model, ref.version, undefined);
    if (ref.kind === 'default') return this.#resolve(ref.model, undefined, undefined, keys);
    const model = this.#models.getByAlias(ref.model, ref.alias);
    if (model) return model;
    if (!this.#models.has(ref.model)) throw Errors.MODEL_NOT_FOUND.create(ref.model);
    throw Errors.ALIAS_NOT_SERVED.create(ref.model, ref.alias, [...this.#models.aliases(ref.model).keys()]);
  }

  /** Every served version with its aliases, for `/api/server`. */
  served(): { model: string; version: string; digest?: string; aliases: string[]; default: boolean; state: string; source: string }[] {
    return this.#models.all().map((m) => ({
      model: m.name,
      version: String(m.version),
      ...(m.digest !== undefined ? { digest: m.digest } : {}),
      aliases: [...this.#models.aliases(m.name)].filter(([, v]) => v === m.version).map(([a]) => a),
      default: this.#models.defaultVersion(m.name) === m.version,
      state: m.state,
      source: m.source,
    }));
  }

  /** True when the version can take requests now. */
  isModelReady(model: LoadedVersion): boolean {
    return this.#ready && model.isReady;
  }

  modelMetadata(model: LoadedVersion): ModelMetadata {
    const describe = (t: { name: string; datatype: Datatype; shape: readonly number[] | undefined }) => ({
      name: t.name,
      datatype: t.datatype,
      shape: advertisedShape(t),
    });
    return {
      name: model.name,
      versions: this.#models.versions(model.name).map((m) => String(m.version)),
      platform: 'onnx_onnxv1',
      inputs: model.signature.inputs.map(describe),
      outputs: model.signature.outputs.map((t) => ({ ...describe(t), ...classLabels(model, t.name) })),
    };
  }

  /**
   * Validates a tensor request (OIP or KServe V1) against the version's signature, runs it and
   * returns the outputs asked for.
   */
  async infer(model: LoadedVersion, request: InferenceRequest, context: RequestContext = ANONYMOUS): Promise<InferenceResponse> {
    const observation = this.#observe(model, context);
    let outputs: Tensor[];
    try {
      const inputs = this.#decodeInputs(model, request.inputs);
      const outputNames = this.#outputNames(model, request.outputs);
      const rows = tensorRows(inputs);
      this.#checkResponseSize(model, predictedOutputBytes(model.signature, outputNames, rows, (d) => datatypeInfo(d).byteSize));
      // Taken before the run: input buffers are transferred to the worker that runs them. A model
      // with a schema is monitored by its named features, read back from its encoded input.
      const encoded = this.#recorder ? pipelineInputCopy(model, inputs) : undefined;
      const features = this.#recorder && encoded === undefined ? tensorFeatures(inputs, rows) : undefined;
      const shadows = this.#sampleShadows(model, context);
      const copies = shadows.map(() => copyTensors(inputs));
      outputs = await model.infer(inputs, outputNames);
      this.#checkResponseSize(model, tensorsByteLength(outputs));
      if (encoded !== undefined) observation.answeredEncodedRows(encoded, outputs);
      else observation.answeredTensors(rows, features, outputs);
      const primary = outputs;
      const primaryMs = observation.elapsedMs();
      shadows.forEach((shadow, i) =>
        this.#afterResponse.run(() => this.#shadows!.submit(shadow, { kind: 'tensors', request: context, inputs: copies[i]!, outputNames, rows, primary, primaryMs })),
      );
    } catch (error) {
      throw observation.failed(error);
    }
    return { modelName: model.name, modelVersion: String(model.version), ...(request.id !== undefined ? { id: request.id } : {}), outputs };
  }

  /**
   * Predicts named results for rows of named features through the version's schema and pipeline
   * (see LoadedVersion.predict).
   */
  async predict(model: LoadedVersion, rows: readonly unknown[], context: RequestContext = { requestId: '', protocol: 'predict' }): Promise<RecordPredictions> {
    const observation = this.#observe(model, context);
    let result: Awaited<ReturnType<LoadedVersion['predict']>>;
    try {
      result = await model.predict(rows, this.#maxResponseBytes);
      observation.answeredRecords(result);
      const primary = result.predictions;
      const primaryMs = observation.elapsedMs();
      for (const shadow of this.#sampleShadows(model, context)) this.#afterResponse.run(() => this.#shadows!.submit(shadow, { kind: 'records', request: context, rows, primary, primaryMs }));
    } catch (error) {
      throw observation.failed(error);
    }
    return { model, predictions: result.predictions, unknownFields: result.unknownFields, values: result.values, valueWarnings: result.valueWarnings, outputs: result.outputs };
  }

  /**
   * Predicts for rows a body codec worker validates and encodes (a large body): `encode` is given
   * the version's pipeline, and those of the shadows this request is copied to that encode rows
   * differently (a shadow encoding alike gets a copy of the version's tensor, taken before the
   * run moves it). Returns the outputs undecoded. The monitor records the request from a copy of
   * the tensor, as a tensor request to a version with a schema is.
   */
  async predictEncoded(model: LoadedVersion, encode: RecordsEncoder, context: RequestContext = { requestId: '', protocol: 'predict' }): Promise<EncodedRecordPredictions> {
    const pipeline = model.pipeline;
    if (pipeline === undefined) throw this.#observe(model, context).failed(Errors.MODEL_NO_SCHEMA.create(model.name, String(model.version)));
    // A shadow whose queue is full now gets no copy (its encoding would be wasted); the drop is counted once answered.
    const sampled = this.#sampleShadows(model, context);
    const shadows = sampled.filter((shadow) => this.#shadows!.hasRoom(shadow));
    const own = shadows.map((shadow) => (shadow.pipeline !== undefined && !encodesAlike(pipeline, shadow.pipeline) ? shadow.pipeline : undefined));
    const encoded = await encode([pipeline, ...own.filter((p) => p !== undefined)]);
    const observation = this.#observe(model, context);
    try {
      // Taken before the run, which may move the tensor's buffer to an inference worker.
      const copy = observation.recording ? copyTensors([encoded.tensor])[0]! : undefined;
      let next = 0;
      const inputs = own.map((p) => (p !== undefined ? encoded.others![next++]! : copyTensors([encoded.tensor])[0]!));
      const outputs = await model.predictEncoded(encoded.tensor, this.#maxResponseBytes);
      if (copy !== undefined) observation.answeredEncodedRows(copy, outputs);
      const primaryMs = observation.elapsedMs();
      shadows.forEach((shadow, i) =>
        this.#afterResponse.run(() =>
          this.#shadows!.submit(shadow, { kind: 'encoded', request: context, input: inputs[i]!, rows: encoded.rows, primary: { pipeline, outputs }, primaryMs }),
        ),
      );
      for (const shadow of sampled) if (!shadows.includes(shadow)) this.#afterResponse.run(() => this.#shadows!.drop(shadow));
      return { model, outputs, rows: encoded.rows, unknownFields: encoded.unknownFields, valueWarnings: encoded.valueWarnings };
    } catch (error) {
      throw observation.failed(error);
    }
  }

  /**
   * The shadows of the model's deployment that see a copy of this request (a routed one): each by
   * its sample share, never the version answering, only while serving.
   */
  #sampleShadows(model: LoadedVersion, context: RequestContext): LoadedVersion[] {
    const deployment = this.#shadows && context.routed === true ? this.#models.deployment(model.name) : undefined;
    if (deployment === undefined || deployment.shadows.length === 0) return [];
    const chosen: LoadedVersion[] = [];
    for (const { version, sample } of deployment.shadows) {
      if (version === model.version || (sample < 1 && Math.random() >= sample)) continue;
      const shadow = this.#models.get(model.name, version);
      if (shadow?.serving) chosen.push(shadow);
    }
    return chosen;
  }

  /** Starts observing a request to a resolved version; see {@link Observation}. */
  #observe(model: LoadedVersion, context: RequestContext): Observation {
    return new Observation(model, context, this.#recorder, this.#afterResponse);
  }

  /** Refuses an answer too large to encode safely, before the run where its size is known. */
  #checkResponseSize(model: LoadedVersion, bytes: number | undefined): void {
    if (bytes !== undefined && bytes > this.#maxResponseBytes) throw Errors.RESPONSE_TOO_LARGE.create(model.name, bytes, this.#maxResponseBytes);
  }

  #decodeInputs(model: LoadedVersion, inputs: readonly InferenceInput[]): Tensor[] {
    const specs = model.signature.inputs;
    const seen = new Set<string>();
    for (const input of inputs) {
      if (seen.has(input.name)) throw Errors.INPUT_DUPLICATE.create(input.name);
      seen.add(input.name);
      if (!specs.some((s) => s.name === input.name)) {
        throw Errors.INPUT_UNKNOWN.create(input.name, model.name, specs.map((s) => s.name));
      }
    }
    const tensors: Tensor[] = [];
    for (const spec of specs) {
      const input = inputs.find((i) => i.name === spec.name);
      if (!input) throw Errors.INPUT_MISSING.create(spec.name, model.name);
      if (!isDatatype(input.datatype) || input.datatype !== spec.datatype) {
        throw Errors.INPUT_DATATYPE.create(spec.name, spec.datatype, JSON.stringify(input.datatype));
      }
      elementCount(input.shape, input.name); // checks every dimension is a non-negative integer
      const shape = input.shape as readonly number[];
      if (!shapeFits(spec, shape)) {
        throw Errors.INPUT_SHAPE.create(spec.name, formatShape(advertisedShape(spec)), formatShape(shape));
      }
      tensors.push({ name: spec.name, datatype: spec.datatype, shape, data: input.data.decode(spec.datatype, shape, spec.name) });
    }
    return tensors;
  }

  #outputNames(model: LoadedVersion, requested: readonly RequestedOutput[] | undefined): string[] {
    const available = model.signature.outputs.map((o) => o.name);
    if (requested === undefined || requested.length === 0) return available;
    const names: string[] = [];
    for (const output of requested) {
      if (!available.includes(output.name)) throw Errors.OUTPUT_UNKNOWN.create(output.name, model.name, available);
      if (!names.includes(output.name)) names.push(output.name);
    }
    return names;
  }
}

/**
 * One request to a resolved version, observed the same way whatever its protocol (as MLServer's
 * `_infer_contextmanager`): it starts by refusing a version that is not serving, and ends either
 * answered, or failed with a catalogue error (an unexpected failure becomes
 * BERTH_MODEL_EXECUTION_FAILED keeping the original as its `cause`). Either way its latency and
 * outcome, with the columns the monitor sketches, are recorded once the response is on its way.
 */
class Observation {
  readonly #at = Date.now();
  readonly #started = performance.now();
  readonly #model: LoadedVersion;
  readonly #context: RequestContext;
  readonly #recorder: ((event: PredictionEvent) => void) | undefined;
  readonly #afterResponse: AfterResponseQueue;

  constructor(model: LoadedVersion, context: RequestContext, recorder: ((event: PredictionEvent) => void) | undefined, afterResponse: AfterResponseQueue) {
    this.#model = model;
    this.#context = context;
    this.#recorder = recorder;
    this.#afterResponse = afterResponse;
    // Only the version's state matters here: a request accepted before shutdown began, or one
    // that resolved a version just before an alias moved away from it, must finish.
    if (!model.serving) throw this.failed(Errors.MODEL_NOT_READY.create(model.name));
  }

  /** True when the server records predictions (monitoring is on). */
  get recording(): boolean {
    return this.#recorder !== undefined;
  }

  /** A tensor request answered: `features` are its input columns (a large request's: a copy of its inputs), taken before the run. */
  answeredTensors(rows: number, features: Columns | readonly Tensor[] | undefined, outputs: readonly Tensor[]): void {
    const record = this.#recorder;
    if (!record) return;
    const facts = this.#facts();
    this.#afterResponse.run(() => record(eventFromTensors(facts, rows, features, outputs)));
  }

  /**
   * A tensor request to a version with a schema answered: `encoded` is a copy of its pipeline
   * input, recorded as the rows it encodes and the named results of `outputs`, as records are.
   */
  answeredEncodedRows(encoded: Tensor, outputs: readonly Tensor[]): void {
    const record = this.#recorder;
    const pipeline = this.#model.pipeline;
    if (!record || !pipeline) return;
    const facts = this.#facts();
    this.#afterResponse.run(() => {
      const large = largeEncodedRows(pipeline, encoded, outputs);
      if (large !== undefined) {
        // Decoded a slice at a time as the monitor reads it, never every row at once.
        record(
          eventFromRecordReader(facts, pipeline.schema, large.rows, (selection, parts) => ({
            values: parts.features ? (pipeline.valuesOf(tensorRowsAt(encoded, selection)) ?? []) : [],
            predictions: parts.outputs && large.output !== undefined ? pipeline.decode([tensorRowsAt(large.output, selection)], selectionLength(selection)) : [],
          })),
        );
        return;
      }
      const values = pipeline.valuesOf(encoded) ?? [];
      // Outputs the request did not ask for leave the results out; the inputs are still counted.
      const predictions = outputs.some((t) => t.name === pipeline.spec.output.tensor) ? pipeline.decode(outputs, values.length) : [];
      record(eventFromRecords(facts, pipeline.schema, values, predictions));
    });
  }

  /** A records request answered. */
  answeredRecords(result: RowPredictions): void {
    const record = this.#recorder;
    const schema = this.#model.pipeline?.schema;
    if (!record || !schema) return;
    const facts = this.#facts();
    this.#afterResponse.run(() => record(eventFromRecords(facts, schema, result.values, result.predictions)));
  }

  /** Milliseconds since the request reached the data plane. */
  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /** The request failed: records it and returns the catalogue error to throw. */
  failed(error: unknown): BerthError {
    const failure =
      error instanceof BerthError
        ? error
        : Errors.MODEL_EXECUTION_FAILED.create(this.#model.name, error instanceof Error ? error.message : String(error), { cause: error });
    const record = this.#recorder;
    if (record) {
      const facts = this.#facts();
      const outcome = outcomeOf(failure);
      this.#afterResponse.run(() => record(eventFromFailure(facts, outcome)));
    }
    return failure;
  }

  #facts(): RequestFacts {
    const model = this.#model;
    const context = this.#context;
    return { model: model.name, version: String(model.version), requestId: context.requestId, at: this.#at, protocol: context.protocol, latencyMs: performance.now() - this.#started };
  }
}

/** A classifier's probability output names its columns' class labels, in order (OIP tensor parameters). */
function classLabels(model: LoadedVersion, tensor: string): { parameters?: { labels: readonly string[] } } {
  const output = model.pipeline?.spec.output;
  return output?.task === 'classification' && output.tensor === tensor ? { parameters: { labels: output.labels } } : {};
}

/**
 * A copy of the input a version's pipeline encodes rows into, when the request carries it (the
 * only input of a model with a schema); undefined for a version without one.
 */
function pipelineInputCopy(model: LoadedVersion, inputs: readonly Tensor[]): Tensor | undefined {
  const pipeline = model.pipeline;
  if (pipeline === undefined) return undefined;
  const input = inputs.find((t) => t.name === pipeline.spec.input);
  return input === undefined ? undefined : { ...input, data: input.data.slice() as TensorData };
}

/** True when two pipelines encode every row into the same tensor (the same schema and steps). */
function encodesAlike(a: Pipeline, b: Pipeline): boolean {
  if (a === b) return true;
  return a.spec.input === b.spec.input && JSON.stringify(a.schema) === JSON.stringify(b.schema) && JSON.stringify(a.spec.steps) === JSON.stringify(b.spec.steps);
}

/**
 * A large encoded request whose rows and results can be read a slice at a time: its rows, and
 * the pipeline's output tensor when the request asked for it. Undefined for a small one, or one
 * the whole-request path must judge (it reports the mismatch of a model and its pipeline).
 */
function largeEncodedRows(pipeline: NonNullable<LoadedVersion['pipeline']>, encoded: Tensor, outputs: readonly Tensor[]): { rows: number; output: Tensor | undefined } | undefined {
  const rows = encoded.shape[0] ?? 0;
  if (rows <= LARGE_EVENT_ROWS || pipeline.valuesOf(tensorRowsAt(encoded, { from: 0, to: 0 })) === undefined) return undefined;
  const output = outputs.find((t) => t.name === pipeline.spec.output.tensor);
  if (output === undefined) return { rows, output };
  if (output.shape[0] !== rows || output.data.length % rows !== 0) return undefined;
  try {
    pipeline.decode([tensorRowsAt(output, { from: 0, to: 1 })], 1);
  } catch {
    return undefined;
  }
  return { rows, output };
}

/** A copy of tensors with data of their own, for a shadow (a run may transfer the buffers it is given). */
function copyTensors(tensors: readonly Tensor[]): Tensor[] {
  return tensors.map((t) => ({ ...t, data: t.data.slice() as TensorData }));
}
