/**
 * The transport-free data plane: health, metadata and inference over the live models. REST (and
 * any later transport) decodes its wire format into these types, calls the data plane, and
 * encodes what it returns; validation and execution live here once.
 */
import { type Datatype, type TensorData, datatypeInfo, isDatatype } from '../core/datatypes.js';
import { BerthError, Errors } from '../core/errors.js';
import { parseModelRef } from '../core/model-ref.js';
import { advertisedShape, predictedOutputBytes, shapeFits } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';
import { elementCount, formatShape, tensorsByteLength } from '../core/tensor.js';
import { type FeatureValue, RowValidator } from '../core/validate-row.js';
import type { Prediction } from '../runtime/pipeline.js';
import type { Columns, PredictionEvent, PredictionOutcome, PredictionProtocol } from '../monitor/index.js';
import type { ModelTable, ServedModel } from './model-table.js';
import { AfterResponseQueue } from './after-response-queue.js';
import { eventFromRecords, eventFromTensors, tensorColumns, tensorRows } from './monitor-events.js';

function outcomeOf(error: unknown): PredictionOutcome {
  return error instanceof BerthError && error.httpStatus < 500 ? 'client_error' : 'server_error';
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

/** Named predictions for rows, with what the monitor needs. */
export interface RecordPredictions {
  readonly model: ServedModel;
  readonly predictions: readonly Prediction[];
  /** Fields the rows carried that the schema does not know (ignored). */
  readonly unknownFields: readonly string[];
  /** The validated feature values of each row, in schema order. */
  readonly values: readonly (readonly FeatureValue[])[];
}

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
  readonly outputs: readonly { name: string; datatype: Datatype; shape: readonly number[] }[];
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
}

/** Who asked, for the monitor: the request id and the protocol it came through. */
export interface RequestContext {
  readonly requestId: string;
  readonly protocol: PredictionProtocol;
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
  #ready = false;

  constructor(options: DataPlaneOptions) {
    this.#models = options.models;
    this.#recorder = options.recorder;
    this.#afterResponse = new AfterResponseQueue(options.onRecordError ?? (() => undefined));
    this.#maxResponseBytes = options.maxResponseBytes ?? Infinity;
    this.#metadata = Object.freeze({
      name: options.serverName,
      version: options.serverVersion,
      extensions: Object.freeze(['binary_tensor_data']),
    });
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

  /** Every model is loaded and the server accepts inference. */
  isReady(): boolean {
    return this.#ready;
  }

  /** Names of every served model. */
  modelNames(): readonly string[] {
    return this.#models.names();
  }

  /** The served version named (or the default one); 404 errors when not served. */
  resolve(name: string, version?: string): ServedModel {
    const model = this.#models.get(name, version);
    if (model) return model;
    if (!this.#models.has(name)) throw Errors.MODEL_NOT_FOUND.create(name);
    if (version !== undefined) throw Errors.VERSION_NOT_FOUND.create(name, version);
    throw Errors.MODEL_NO_DEFAULT.create(name, this.#models.versions(name).map((m) => m.version));
  }

  /** Resolves `name`, `name@alias` or `name:version` (core/model-ref.ts) to a served version. */
  resolveReference(reference: string): ServedModel {
    const ref = parseModelRef(reference);
    if (ref.kind === 'version') return this.resolve(ref.model, String(ref.version));
    if (ref.kind === 'default') return this.resolve(ref.model);
    const model = this.#models.getByAlias(ref.model, ref.alias);
    if (model) return model;
    if (!this.#models.has(ref.model)) throw Errors.MODEL_NOT_FOUND.create(ref.model);
    throw Errors.ALIAS_NOT_SERVED.create(ref.model, ref.alias, [...this.#models.aliases(ref.model).keys()]);
  }

  /** Every served version with its aliases, for `/api/server`. */
  served(): { model: string; version: string; digest?: string; aliases: string[]; default: boolean; state: string; source: string }[] {
    return this.#models.all().map((m) => ({
      model: m.name,
      version: m.version,
      ...(m.bundle ? { digest: m.bundle.digest } : {}),
      aliases: [...this.#models.aliases(m.name)].filter(([, v]) => v === m.version).map(([a]) => a),
      default: this.#models.defaultVersion(m.name) === m.version,
      state: m.runtime.state,
      source: m.source,
    }));
  }

  /** True when the version can take requests now. */
  isModelReady(model: ServedModel): boolean {
    return this.#ready && model.runtime.state === 'ready';
  }

  modelMetadata(model: ServedModel): ModelMetadata {
    const describe = (t: { name: string; datatype: Datatype; shape: readonly number[] | undefined }) => ({
      name: t.name,
      datatype: t.datatype,
      shape: advertisedShape(t),
    });
    return {
      name: model.name,
      versions: this.#models.versions(model.name).map((m) => m.version),
      platform: 'onnx_onnxv1',
      inputs: model.runtime.signature.inputs.map(describe),
      outputs: model.runtime.signature.outputs.map(describe),
    };
  }

  /**
   * Validates a request against the model's signature, runs it and returns the outputs asked for.
   * Every outcome after the model is resolved, failures included, is passed to the recorder.
   */
  async infer(model: ServedModel, request: InferenceRequest, context: RequestContext = ANONYMOUS): Promise<InferenceResponse> {
    const at = Date.now();
    const started = performance.now();
    let rows = 0;
    let features: Columns | undefined;
    let outputs: Tensor[];
    try {
      // Only the runtime's state matters here: a request accepted before shutdown began, or one
      // that resolved a version just before an alias moved away from it, must finish (new requests
      // are refused by the transport or resolve the new version).
      if (model.runtime.state === 'released' || model.runtime.state === 'loading') throw Errors.MODEL_NOT_READY.create(model.name);
      const inputs = this.#decodeInputs(model, request.inputs);
      const outputNames = this.#outputNames(model, request.outputs);
      rows = tensorRows(inputs);
      this.#checkResponseSize(model, predictedOutputBytes(model.runtime.signature, outputNames, rows, (d) => datatypeInfo(d).byteSize));
      // Taken before the run: input buffers are transferred to the worker that runs them.
      if (this.#recorder) features = tensorColumns(inputs, rows);
      try {
        outputs = await model.runtime.run(inputs, outputNames);
      } catch (error) {
        if (error instanceof BerthError) throw error;
        throw Errors.MODEL_EXECUTION_FAILED.create(model.name, error instanceof Error ? error.message : String(error));
      }
      this.#checkResponseSize(model, tensorsByteLength(outputs));
    } catch (error) {
      this.#recordTensors(model, context, at, started, rows, 'failed', error);
      throw error;
    }
    this.#recordTensors(model, context, at, started, rows, features, undefined, outputs);
    return { modelName: model.name, modelVersion: model.version, ...(request.id !== undefined ? { id: request.id } : {}), outputs };
  }

  #recordTensors(
    model: ServedModel,
    context: RequestContext,
    at: number,
    started: number,
    rows: number,
    features: Columns | 'failed' | undefined,
    error?: unknown,
    outputs?: readonly Tensor[],
  ): void {
    const record = this.#recorder;
    if (!record) return;
    const latencyMs = performance.now() - started;
    const outcome = features === 'failed' ? outcomeOf(error) : 'success';
    this.#afterResponse.run(() =>
      record(
        eventFromTensors({
          model: model.name,
          version: model.version,
          requestId: context.requestId,
          at,
          protocol: context.protocol,
          latencyMs,
          outcome,
          rows,
          ...(features !== undefined && features !== 'failed' ? { features } : {}),
          ...(outputs ? { outputs } : {}),
        }),
      ),
    );
  }

  /**
   * Predicts named results for rows of named features through the version's schema and pipeline.
   * Rows are validated first (400 naming the row and field); fields the schema does not know are
   * ignored and reported in `unknownFields`.
   */
  async predict(model: ServedModel, rows: readonly unknown[], context: RequestContext = { requestId: '', protocol: 'predict' }): Promise<RecordPredictions> {
    const at = Date.now();
    const started = performance.now();
    try {
      const result = await this.#predict(model, rows);
      const record = this.#recorder;
      if (record) {
        const latencyMs = performance.now() - started;
        this.#afterResponse.run(() => record(eventFromRecords(result, context.requestId, latencyMs, at, context.protocol)));
      }
      return result;
    } catch (error) {
      const record = this.#recorder;
      if (record) {
        const latencyMs = performance.now() - started;
        const outcome = outcomeOf(error);
        this.#afterResponse.run(() =>
          record(eventFromTensors({ model: model.name, version: model.version, requestId: context.requestId, at, protocol: context.protocol, latencyMs, outcome, rows: 0 })),
        );
      }
      throw error;
    }
  }

  async #predict(model: ServedModel, rows: readonly unknown[]): Promise<RecordPredictions> {
    const pipeline = model.bundle?.pipeline;
    if (!pipeline) throw Errors.MODEL_NO_SCHEMA.create(model.name, model.version);
    if (rows.length === 0) throw Errors.REQUEST_INVALID.create('there are no rows to predict');
    if (model.runtime.state === 'released') throw Errors.MODEL_NOT_READY.create(model.name);
    const validator = new RowValidator(pipeline.schema);
    const values = new Array<FeatureValue[]>(rows.length);
    const unknown = new Set<string>();
    for (let i = 0; i < rows.length; i++) {
      values[i] = validator.validate(rows[i], i);
      for (const field of validator.unknownFields(rows[i])) unknown.add(field);
    }
    const tensor = pipeline.encodeValues(values);
    let outputs: Tensor[];
    try {
      outputs = await model.runtime.run([tensor], pipeline.outputNames);
    } catch (error) {
      if (error instanceof BerthError) throw error;
      throw Errors.MODEL_EXECUTION_FAILED.create(model.name, error instanceof Error ? error.message : String(error));
    }
    this.#checkResponseSize(model, tensorsByteLength(outputs));
    return { model, predictions: pipeline.decode(outputs, rows.length), unknownFields: [...unknown], values };
  }

  /** Refuses an answer too large to encode safely, before the run where its size is known. */
  #checkResponseSize(model: ServedModel, bytes: number | undefined): void {
    if (bytes !== undefined && bytes > this.#maxResponseBytes) throw Errors.RESPONSE_TOO_LARGE.create(model.name, bytes, this.#maxResponseBytes);
  }

  #decodeInputs(model: ServedModel, inputs: readonly InferenceInput[]): Tensor[] {
    const specs = model.runtime.signature.inputs;
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

  #outputNames(model: ServedModel, requested: readonly RequestedOutput[] | undefined): string[] {
    const available = model.runtime.signature.outputs.map((o) => o.name);
    if (requested === undefined || requested.length === 0) return available;
    const names: string[] = [];
    for (const output of requested) {
      if (!available.includes(output.name)) throw Errors.OUTPUT_UNKNOWN.create(output.name, model.name, available);
      if (!names.includes(output.name)) names.push(output.name);
    }
    return names;
  }
}
