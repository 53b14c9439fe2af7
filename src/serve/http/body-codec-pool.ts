/**
 * Worker threads that decode and encode large request and response bodies, so that parsing tens
 * of megabytes of JSON never holds the event loop (and with it every other request, health probes
 * included). Bodies under the threshold are decoded inline, where a thread hop would cost more
 * than the work. The pool starts its threads on first use and lets idle ones go.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { reviveError, Errors } from '../../core/errors.js';
import type { Signature } from '../../core/signature.js';
import type { Tensor } from '../../core/tensor.js';
import type { EncodedRecords, InferenceRequest, InferenceResponse } from '../data-plane.js';
import { type BodyCodecResults, type BodyCodecTask, type PipelineOf, inferenceRequestOf, plainResponse, plainTensors, resultValue } from './body-codec-tasks.js';
import type { EncodedBody } from './oip-rest-codec.js';
import { type RecordsAnswerForm, type RecordsFormat, recordsAnswerBytes } from './records-codec.js';

/** Options of {@link BodyCodecPool}. */
export interface BodyCodecPoolOptions {
  /** Bodies of at least this many bytes go to a worker; 0: none do. */
  readonly thresholdBytes: number;
  /** Most worker threads; default half the cores, at least one. */
  readonly maxThreads?: number;
}

/** Large bodies decoded and encoded in worker threads. */
export class BodyCodecPool {
  readonly thresholdBytes: number;
  readonly #pool: Piscina | undefined;

  constructor(options: BodyCodecPoolOptions) {
    this.thresholdBytes = options.thresholdBytes;
    this.#pool =
      options.thresholdBytes > 0
        ? new Piscina({
            filename: new URL('./body-codec-worker.js', import.meta.url).href,
            minThreads: 0,
            maxThreads: options.maxThreads ?? Math.max(1, Math.floor(availableParallelism() / 2)),
            idleTimeout: 30_000,
          })
        : undefined;
  }

  /** True when a body of `bytes` bytes is worth a worker. */
  offloads(bytes: number): boolean {
    return this.#pool !== undefined && bytes >= this.thresholdBytes;
  }

  /** True when the JSON of `outputs` (those not sent in binary) is worth encoding in a worker. */
  offloadsOutputs(outputs: readonly Tensor[], binaryOutput: (name: string) => boolean = () => false): boolean {
    if (this.#pool === undefined) return false;
    let bytes = 0;
    // A number in JSON takes about twice the bytes of its binary value, or more.
    for (const output of outputs) if (!binaryOutput(output.name)) bytes += Array.isArray(output.data) ? output.data.length * 8 : 2 * output.data.byteLength;
    return this.offloads(bytes);
  }

  /**
   * Decodes an Open Inference Protocol JSON body in a worker. The body's bytes are moved there
   * when the Buffer owns its memory, else copied. Throws the codec's catalogue errors.
   */
  async decodeInfer(json: Buffer): Promise<InferenceRequest> {
    return inferenceRequestOf(resultValue(await this.#run({ kind: 'oip-request', json: movable(json) })));
  }

  /** Decodes a KServe V1 body in a worker, for a model of `signature`. */
  async decodeV1(json: Buffer, signature: Signature, model: string): Promise<InferenceRequest> {
    return inferenceRequestOf(resultValue(await this.#run({ kind: 'v1-request', json: movable(json), signature: { inputs: signature.inputs }, model })));
  }

  /** True when a records answer of `rows` rows of this pipeline's output, in this form, is worth encoding in a worker. */
  offloadsRecordsAnswer(rows: number, pipeline: PipelineOf, form: RecordsAnswerForm['kind']): boolean {
    return this.offloads(recordsAnswerBytes(rows, pipeline.spec.output, form));
  }

  /**
   * Parses, validates and encodes a named-feature body (JSON or CSV) in a worker for the first pipeline
   * (the answering version's), and again for each other one (shadows' that encode rows
   * differently, each holding its tensor or the error its schema raised); throws the route's
   * catalogue errors (bad JSON, bad rows) for the first.
   */
  async encodeRecords(body: Buffer, format: RecordsFormat, pipelines: readonly PipelineOf[]): Promise<EncodedRecords> {
    const plain = pipelines.map((p) => ({ schema: p.schema, spec: p.spec }));
    const { others, ...encoded } = resultValue(await this.#run({ kind: 'records-request', body: movable(body), format, pipelines: plain }));
    if (others === undefined) return encoded;
    return { ...encoded, others: others.map((o) => ('error' in o ? (reviveError(o.error) ?? Errors.REQUEST_INVALID.create(o.error.message)) : o)) };
  }

  /**
   * Encodes a records answer in a worker (the predictions decoded there from the outputs, which
   * are copied to it in shared memory): the bytes the route's serialiser writes for it inline.
   */
  async encodeRecordsAnswer(form: RecordsAnswerForm, pipeline: PipelineOf, outputs: readonly Tensor[], rows: number): Promise<Buffer> {
    const task = { kind: 'records-response' as const, form, pipeline: { schema: pipeline.schema, spec: pipeline.spec }, outputs: plainTensors(outputs), rows };
    return toBuffer(resultValue(await this.#run(task)));
  }

  /** Encodes an Open Inference Protocol response in a worker (its tensors are copied there). */
  async encodeInfer(response: InferenceResponse, request: Pick<InferenceRequest, 'parameters' | 'outputs'>): Promise<EncodedBody> {
    const wanted = { ...(request.parameters ? { parameters: request.parameters } : {}), ...(request.outputs ? { outputs: request.outputs } : {}) };
    const encoded = resultValue(await this.#run({ kind: 'oip-response', response: plainResponse(response), request: wanted }));
    // Fastify names the charset of a string body itself, not of a Buffer's.
    const contentType = encoded.contentType === 'application/json' ? 'application/json; charset=utf-8' : encoded.contentType;
    return { ...encoded, contentType, body: toBuffer(encoded.body) };
  }

  /** Encodes a KServe V1 response in a worker. */
  async encodeV1(response: InferenceResponse, rows: number): Promise<Buffer> {
    return toBuffer(resultValue(await this.#run({ kind: 'v1-response', response: plainResponse(response), rows })));
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    await this.#pool?.close({ force: true });
  }

  /** Runs a task; a request body's bytes are moved to the worker (the caller's Buffer is emptied). */
  async #run<K extends BodyCodecTask['kind']>(task: Extract<BodyCodecTask, { kind: K }>): Promise<BodyCodecResults[K]> {
    const bytes = 'json' in task ? task.json : 'body' in task ? task.body : undefined;
    const transferList = bytes !== undefined ? [bytes.buffer as ArrayBuffer] : undefined;
    return this.#pool!.run(task, transferList ? { transferList } : {}) as Promise<BodyCodecResults[K]>;
  }
}

/** The body's bytes, as they may be moved to a worker: itself when it owns its memory, else a copy. */
function movable(body: Buffer): Uint8Array {
  return ownsMemory(body) ? body : new Uint8Array(body);
}

/** True when a Buffer is the whole of its ArrayBuffer (not a slice of Node's shared pool). */
function ownsMemory(body: Buffer): boolean {
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
