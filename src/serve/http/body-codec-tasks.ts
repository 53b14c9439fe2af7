/**
 * The work a body codec worker does for large request and response bodies, and its results as they
 * cross back: the same codecs the routes run inline (oip-rest-codec.ts, kserve-v1-codec.ts), with
 * each input's data already turned into a typed array, so what returns to the event loop is flat
 * buffers it takes over without parsing or copying, never a large object graph.
 *
 * Decoding stays lazy in effect: a tensor's data is decoded as its request declares it, and an
 * error found there is raised only when the data plane asks for that input's data, so a bad
 * request is answered with the same error whether its body was decoded inline or here.
 */
import { type Datatype, type TensorData, isDatatype } from '../../core/datatypes.js';
import { BerthError, Errors, type SerialisedError, reviveError, serialiseError } from '../../core/errors.js';
import type { Signature } from '../../core/signature.js';
import type { Tensor } from '../../core/tensor.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import type { PipelineSpec } from '../../core/pipeline-spec.js';
import { Pipeline } from '../../runtime/pipeline.js';
import type { EncodedRecords, InferenceInput, InferenceRequest, InferenceResponse, RequestedOutput } from '../data-plane.js';
import { decodeV1Predict, encodeV1Predict } from './kserve-v1-codec.js';
import { type EncodedBody, binaryOutputOf, decodeInferRequest, encodeInferResponse } from './oip-rest-codec.js';
import { type RecordsAnswerForm, type RecordsFormat, mlflowPrediction, rowsFromCsv, rowsFromJson } from './records-codec.js';

/** An input whose data was decoded in the worker (or whose decoding failed there). */
export interface DecodedInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly unknown[];
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The data as the input's declared datatype, when that is a datatype and the data fits it. */
  readonly data?: TensorData;
  /** Why the data does not fit its declared datatype and shape. */
  readonly error?: SerialisedError;
}

/** A request decoded in the worker. */
export interface DecodedRequest {
  readonly id?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly inputs: readonly DecodedInput[];
  readonly outputs?: readonly RequestedOutput[];
}

/** A version's schema and pipeline spec, as a worker compiles them into a Pipeline. */
export interface PipelineOf {
  readonly schema: FeatureSchema;
  readonly spec: PipelineSpec;
}

/** Rows encoded in a worker: for each other pipeline, its tensor or the error its schema raised. */
export interface EncodedRecordsResult extends Omit<EncodedRecords, 'others'> {
  readonly others?: readonly (Tensor | { readonly error: SerialisedError })[];
}

/** A worker's answer: the value, or the catalogue error it raised. */
export type CodecResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerialisedError };

/** The tasks a body codec worker runs. */
export type BodyCodecTask =
  | { readonly kind: 'oip-request'; readonly json: Uint8Array }
  | { readonly kind: 'v1-request'; readonly json: Uint8Array; readonly signature: Pick<Signature, 'inputs'>; readonly model: string }
  | { readonly kind: 'records-request'; readonly body: Uint8Array; readonly format: RecordsFormat; readonly pipelines: readonly PipelineOf[] }
  | {
      readonly kind: 'records-response';
      readonly form: RecordsAnswerForm;
      readonly pipeline: PipelineOf;
      readonly outputs: readonly Tensor[];
      readonly rows: number;
    }
  | { readonly kind: 'oip-response'; readonly response: InferenceResponse; readonly request: Pick<InferenceRequest, 'parameters' | 'outputs'> }
  | { readonly kind: 'v1-response'; readonly response: InferenceResponse; readonly rows: number };

/** What each kind of task returns. */
export interface BodyCodecResults {
  'oip-request': CodecResult<DecodedRequest>;
  'v1-request': CodecResult<DecodedRequest>;
  'records-request': CodecResult<EncodedRecordsResult>;
  'records-response': CodecResult<Uint8Array>;
  'oip-response': CodecResult<EncodedBody & { readonly body: Uint8Array }>;
  'v1-response': CodecResult<Uint8Array>;
}

/** Runs one task, as the worker does (and tests do in-process). */
export function runBodyCodecTask(task: BodyCodecTask): BodyCodecResults[typeof task.kind] {
  try {
    switch (task.kind) {
      case 'oip-request':
        return { ok: true, value: predecoded(decodeInferRequest(asBuffer(task.json), undefined).request) };
      case 'v1-request':
        return { ok: true, value: predecoded(decodeV1Predict(asBuffer(task.json), task.signature as Signature, task.model)) };
      case 'records-request':
        return { ok: true, value: encodedRecords(task.body, task.format, task.pipelines) };
      case 'records-response':
        return { ok: true, value: Buffer.from(recordsAnswerJson(task), 'utf8') };
      case 'oip-response': {
        const encoded = encodeInferResponse(task.response, binaryOutputOf(task.request));
        return { ok: true, value: { ...encoded, body: typeof encoded.body === 'string' ? Buffer.from(encoded.body, 'utf8') : encoded.body } };
      }
      case 'v1-response':
        return { ok: true, value: Buffer.from(encodeV1Predict(task.response, task.rows), 'utf8') };
    }
  } catch (error) {
    if (error instanceof BerthError) return { ok: false, error: serialiseError(error) };
    throw error;
  }
}

/** The buffers a result holds, to be moved (not copied) back to the event loop. */
export function transferablesOf(result: BodyCodecResults[keyof BodyCodecResults]): ArrayBuffer[] {
  if (!result.ok) return [];
  const value: unknown = result.value;
  const buffers = new Set<ArrayBuffer>();
  const add = (data: unknown) => {
    if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
  };
  if (ArrayBuffer.isView(value)) add(value);
  else if (isRecord(value) && Array.isArray(value.inputs)) for (const input of value.inputs as DecodedInput[]) add(input.data);
  else if (isRecord(value) && isRecord(value.tensor)) {
    add(value.tensor.data);
    for (const other of (value as unknown as EncodedRecordsResult).others ?? []) if (!('error' in other)) add(other.data);
  }
  else if (isRecord(value)) add(value.body);
  return [...buffers];
}

/** The result's value on the event loop; a catalogue error raised in the worker is thrown here. */
export function resultValue<T>(result: CodecResult<T>): T {
  if (result.ok) return result.value;
  throw reviveError(result.error) ?? Errors.REQUEST_INVALID.create(result.error.message);
}

/**
 * The data plane's request from a decoded one. Each input hands over its decoded data when asked
 * for the datatype it declared (the data plane asks for no other: it refuses a datatype that is
 * not the model's first), and raises the error its data had.
 */
export function inferenceRequestOf(decoded: DecodedRequest): InferenceRequest {
  const inputs = decoded.inputs.map(
    (input): InferenceInput => ({
      name: input.name,
      datatype: input.datatype,
      shape: input.shape,
      ...(input.parameters ? { parameters: input.parameters } : {}),
      data: {
        decode: (datatype: Datatype, _shape: readonly number[], name: string): TensorData => {
          if (input.error) throw resultValue({ ok: false, error: input.error });
          if (input.data === undefined || datatype !== input.datatype) throw Errors.INPUT_DATATYPE.create(name, datatype, JSON.stringify(input.datatype));
          return input.data;
        },
      },
    }),
  );
  return {
    ...(decoded.id !== undefined ? { id: decoded.id } : {}),
    ...(decoded.parameters ? { parameters: decoded.parameters } : {}),
    inputs,
    ...(decoded.outputs ? { outputs: decoded.outputs } : {}),
  };
}

/**
 * A response's tensors as plain data, for the worker that encodes them. Typed arrays are copied
 * into shared memory, which the worker reads in place: one copy, where cloning them into the
 * message would serialise every byte on the event loop. They are not moved there, because the
 * monitor and shadows still read the outputs after the answer.
 */
export function plainResponse(response: InferenceResponse): InferenceResponse {
  return {
    modelName: response.modelName,
    modelVersion: response.modelVersion,
    ...(response.id !== undefined ? { id: response.id } : {}),
    outputs: plainTensors(response.outputs),
  };
}

/** Tensors with their typed arrays copied into shared memory (see {@link plainResponse}). */
export function plainTensors(tensors: readonly Tensor[]): Tensor[] {
  return tensors.map((t): Tensor => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: sharedCopy(t.data) }));
}

/** A typed array's copy in a SharedArrayBuffer; an array of values as it is. */
function sharedCopy(data: TensorData): TensorData {
  if (Array.isArray(data)) return data;
  const typed = data as Exclude<TensorData, readonly unknown[]>;
  const copy = new (typed.constructor as new (buffer: SharedArrayBuffer) => typeof typed)(new SharedArrayBuffer(typed.byteLength));
  copy.set(typed as never);
  return copy;
}

/** Decodes each input's data as it declares it, keeping the error where it does not fit. */
function predecoded(request: InferenceRequest): DecodedRequest {
  const inputs = request.inputs.map((input): DecodedInput => {
    const base = { name: input.name, datatype: input.datatype, shape: input.shape, ...(input.parameters ? { parameters: input.parameters } : {}) };
    if (!isDatatype(input.datatype) || !Array.isArray(input.shape)) return base;
    try {
      return { ...base, data: input.data.decode(input.datatype, input.shape as number[], input.name) };
    } catch (error) {
      if (error instanceof BerthError) return { ...base, error: serialiseError(error) };
      throw error;
    }
  });
  return {
    ...(request.id !== undefined ? { id: request.id } : {}),
    ...(request.parameters ? { parameters: request.parameters } : {}),
    inputs,
    ...(request.outputs ? { outputs: request.outputs } : {}),
  };
}

/**
 * A named-feature body parsed, validated and encoded as the inline route does: the same JSON
 * refusals (prototype keys included, as fastify's parser refuses them) and CSV errors, the same
 * row errors. The first pipeline is the answering version's; the rows are encoded again for each
 * other one (a shadow's), where a row that pipeline's schema refuses fails only that encoding.
 */
function encodedRecords(body: Uint8Array, format: RecordsFormat, pipelines: readonly PipelineOf[]): EncodedRecordsResult {
  const rows = format === 'csv' ? rowsFromCsv(asBuffer(body).toString('utf8')) : rowsFromJson(parseJsonBody(body));
  if (rows.length === 0) throw Errors.REQUEST_INVALID.create('there are no rows to predict');
  const [first, ...rest] = pipelines;
  const { tensor, unknownFields, valueWarnings } = new Pipeline(first!.schema, first!.spec).encode(rows);
  const others = rest.map((p) => {
    try {
      return new Pipeline(p.schema, p.spec).encode(rows).tensor;
    } catch (error) {
      if (error instanceof BerthError) return { error: serialiseError(error) };
      throw error;
    }
  });
  return { tensor, rows: rows.length, unknownFields, valueWarnings, ...(others.length > 0 ? { others } : {}) };
}

/**
 * The JSON of a records answer as its route writes it inline (the predict route's zod serialiser:
 * its keys in the schema's order, then JSON.stringify; MLflow's: JSON.stringify), from the model's
 * outputs.
 */
function recordsAnswerJson(task: Extract<BodyCodecTask, { kind: 'records-response' }>): string {
  const predictions = new Pipeline(task.pipeline.schema, task.pipeline.spec).decode(task.outputs, task.rows);
  const { form } = task;
  if (form.kind === 'mlflow') return JSON.stringify({ predictions: predictions.map(mlflowPrediction) });
  return JSON.stringify({ ...form.head, predictions, ...(form.warnings.length > 0 ? { warnings: form.warnings } : {}) });
}

/** Fastify's words for a JSON body it refuses, whatever the reason, so both paths answer alike. */
const INVALID_JSON_REASON = "Body is not valid JSON but content-type is set to 'application/json'";

/** A JSON body parsed, refused as fastify's parser refuses it: not JSON, or with prototype keys. */
export function parseJsonBody(json: Uint8Array): unknown {
  const text = asBuffer(json).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw Errors.REQUEST_INVALID_JSON.create(INVALID_JSON_REASON);
  }
  if ((text.includes('"__proto__"') || text.includes('"constructor"')) && hasForbiddenKey(body)) throw Errors.REQUEST_INVALID_JSON.create(INVALID_JSON_REASON);
  return body;
}

/** True when a parsed JSON value holds a `__proto__` key, or a `constructor` key holding `prototype`. */
function hasForbiddenKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Object.hasOwn(next, '__proto__')) return true;
    const ctor = (next as Record<string, unknown>).constructor;
    if (Object.hasOwn(next, 'constructor') && isRecord(ctor) && Object.hasOwn(ctor, 'prototype')) return true;
    for (const child of Object.values(next)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
