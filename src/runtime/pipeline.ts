/**
 * Executes a pipeline: rows of named features to the model's FP32 `[n, k]` input tensor, and the
 * model's output tensors back to named results. Training, batch scoring and the server all run
 * this one implementation, so a row predicts the same wherever it is scored.
 */
import { datetimePart } from '../core/datetime-value.js';
import { Errors } from '../core/errors.js';
import { type FeatureSchema, parseFeatureSchema } from '../core/feature-schema.js';
import { type PipelineSpec, type PipelineStep, parsePipelineSpec, pipelineWidth, stepWidth } from '../core/pipeline-spec.js';
import type { Prediction } from '../core/prediction.js';
import type { Tensor } from '../core/tensor.js';
import { type FeatureValue, RowValidator, type RowValidatorOptions, type ValueWarning } from '../core/validate-row.js';

export type { ClassificationPrediction, Prediction, RegressionPrediction } from '../core/prediction.js';

/** Anything that runs a model on tensors: a loaded `ModelRuntime`, or a bare session wrapper. */
export interface TensorRunner {
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
}

/** Rows encoded as the model's input tensor. */
export interface EncodedRows {
  readonly tensor: Tensor;
  /** Fields the rows carried that the schema does not know (ignored; report them as a warning). */
  readonly unknownFields: readonly string[];
  /** The validated feature values of each row, in schema order (what the monitor sketches). */
  readonly values: readonly (readonly FeatureValue[])[];
  /** Values answered although training never saw them (see RowValidator.validate). */
  readonly valueWarnings: readonly ValueWarning[];
}

/** Options for encoding rows: how messages name rows, and the index of the first row given. */
export interface EncodeOptions extends RowValidatorOptions {
  /** Index of `rows[0]` in the whole request or file, for messages and error details; default 0. */
  readonly firstRow?: number;
}

/** The outcome of {@link Pipeline.predict}. */
export interface PipelinePredictions {
  readonly predictions: Prediction[];
  readonly unknownFields: readonly string[];
  /** Values answered although training never saw them. */
  readonly valueWarnings: readonly ValueWarning[];
}

/** The outcome of {@link Pipeline.predict} for one set of rows, with the values validated from them. */
export interface RowPredictions extends PipelinePredictions {
  /** The validated feature values of each row, in schema order. */
  readonly values: readonly (readonly FeatureValue[])[];
}

// A compiled step: where its columns start and the category lookup it needs.
interface CompiledStep {
  readonly step: PipelineStep;
  readonly schemaIndex: number;
  readonly offset: number;
  readonly index: ReadonlyMap<string, number> | undefined;
  readonly imputeIndex: number;
}

/**
 * A schema and pipeline compiled for execution. Construct it once per bundle and reuse it.
 *
 * @example
 *   const pipeline = new Pipeline(schema, spec);
 *   const { predictions } = await pipeline.predict(runtime, [{ age: 41, region: 'north' }]);
 */
export class Pipeline {
  /** Number of columns of the input tensor. */
  readonly width: number;
  /** The output tensors a run must return. */
  readonly outputNames: readonly string[];
  readonly schema: FeatureSchema;
  readonly spec: PipelineSpec;
  readonly #steps: readonly CompiledStep[];
  /** The validator for rows named the default way, built once: building one per request is a measurable share of a one-row prediction. */
  readonly #validator: RowValidator;

  /** Checks both documents (BERTH_SCHEMA_INVALID, BERTH_PIPELINE_INVALID) and compiles them. */
  constructor(schema: FeatureSchema, spec: PipelineSpec) {
    this.schema = parseFeatureSchema(schema);
    this.spec = parsePipelineSpec(spec, this.schema);
    this.width = pipelineWidth(this.spec);
    this.#validator = new RowValidator(this.schema);
    this.outputNames = [this.spec.output.tensor];
    let offset = 0;
    this.#steps = this.spec.steps.map((step) => {
      const schemaIndex = this.schema.features.findIndex((f) => f.name === step.feature);
      const categorical = step.encoding === 'one-hot' || step.encoding === 'ordinal';
      const index = categorical ? new Map(step.categories.map((c, i) => [c, i])) : undefined;
      const imputeIndex = categorical && step.impute !== null ? index!.get(step.impute)! : -1;
      const compiled: CompiledStep = { step, schemaIndex, offset, index, imputeIndex };
      offset += stepWidth(step);
      return compiled;
    });
  }

  /** Validates rows against the schema and encodes them; throws the first row error. */
  encode(rows: readonly unknown[], options: EncodeOptions = {}): EncodedRows {
    const validator = options.describeRow ? new RowValidator(this.schema, options) : this.#validator;
    const first = options.firstRow ?? 0;
    const values: FeatureValue[][] = new Array(rows.length);
    const unknown = new Set<string>();
    const valueWarnings: ValueWarning[] = [];
    for (let i = 0; i < rows.length; i++) {
      values[i] = validator.validate(rows[i], first + i, valueWarnings);
      for (const field of validator.unknownFields(rows[i])) unknown.add(field);
    }
    return { tensor: this.encodeValues(values, options), unknownFields: [...unknown], values, valueWarnings };
  }

  /** Encodes rows already checked by a `RowValidator` of this schema (values in schema order). */
  encodeValues(values: readonly (readonly FeatureValue[])[], options: EncodeOptions = {}): Tensor {
    const n = values.length;
    const k = this.width;
    const data = new Float32Array(n * k);
    const first = options.firstRow ?? 0;
    const describe = options.describeRow ?? ((i: number) => `row ${i}`);
    for (let r = 0; r < n; r++) {
      const row = values[r]!;
      const base = r * k;
      for (const compiled of this.#steps) {
        const value = row[compiled.schemaIndex] ?? null;
        const { step } = compiled;
        if (step.encoding === 'numeric') {
          let x = value === null ? step.impute : typeof value === 'boolean' ? (value ? 1 : 0) : (value as number);
          if (step.scale) x = (x - step.scale.mean) / step.scale.std;
          data[base + compiled.offset] = x;
          continue;
        }
        if (step.encoding === 'datetime') {
          for (let p = 0; p < step.parts.length; p++) {
            const part = step.parts[p]!;
            let x = value === null ? part.impute : datetimePart(value as number, part.part);
            if (part.scale) x = (x - part.scale.mean) / part.scale.std;
            data[base + compiled.offset + p] = x;
          }
          continue;
        }
        let category = value === null ? compiled.imputeIndex : (compiled.index!.get(String(value)) ?? -2);
        if (category === -2) {
          if (step.unseen === 'error') {
            throw Errors.PIPELINE_CATEGORY_UNSEEN.create(describe(first + r), step.feature, String(value), { details: { row: first + r, feature: step.feature } });
          }
          category = -1;
        }
        if (step.encoding === 'one-hot') {
          if (category >= 0) data[base + compiled.offset + category] = 1;
        } else {
          data[base + compiled.offset] = category >= 0 ? category : step.unseenValue;
        }
      }
    }
    return { name: this.spec.input, datatype: 'FP32', shape: [n, k], data };
  }

  /**
   * The feature values an encoded input tensor stands for, in schema order: the inverse of
   * {@link encodeValues}, so that a tensor request to a model with a schema is monitored by its
   * named features, like the rows that would have encoded to it. A value is null where the tensor
   * cannot tell it: an all-zero one-hot, an unseen ordinal, a date (its parts do not give it back),
   * a feature the pipeline does not encode. Imputed values come back as the value imputed.
   * Undefined when `tensor` is not an FP32 `[n, k]` tensor of this pipeline's width.
   */
  valuesOf(tensor: Tensor): FeatureValue[][] | undefined {
    const k = this.width;
    const { shape } = tensor;
    if (tensor.datatype !== 'FP32' || shape.length !== 2 || shape[1] !== k || !(tensor.data instanceof Float32Array)) return undefined;
    const data = tensor.data;
    const n = shape[0]!;
    const features = this.schema.features;
    const values: FeatureValue[][] = new Array(n);
    for (let r = 0; r < n; r++) {
      const row: FeatureValue[] = new Array<FeatureValue>(features.length).fill(null);
      const base = r * k;
      for (const compiled of this.#steps) {
        const { step } = compiled;
        const at = base + compiled.offset;
        if (step.encoding === 'numeric') {
          let x = data[at]!;
          if (step.scale) x = x * step.scale.std + step.scale.mean;
          const type = features[compiled.schemaIndex]!.type;
          row[compiled.schemaIndex] = type === 'boolean' ? x >= 0.5 : type === 'integer' ? Math.round(x) : x;
        } else if (step.encoding === 'one-hot') {
          for (let c = 0; c < step.categories.length; c++) {
            if (data[at + c] === 1) {
              row[compiled.schemaIndex] = step.categories[c]!;
              break;
            }
          }
        } else if (step.encoding === 'ordinal') {
          const x = data[at]!;
          row[compiled.schemaIndex] = Number.isInteger(x) && x >= 0 && x < step.categories.length ? step.categories[x]! : null;
        }
      }
      values[r] = row;
    }
    return values;
  }

  /**
   * Turns the model's outputs for `rows` rows into named results. Throws BERTH_MODEL_EXECUTION_FAILED
   * when the outputs do not have the shape the pipeline promises (a bundle whose model and
   * pipeline disagree).
   */
  decode(outputs: readonly Tensor[], rows: number): Prediction[] {
    const output = this.spec.output;
    const tensor = outputs.find((t) => t.name === output.tensor);
    const fail = (reason: string): never => {
      throw Errors.MODEL_EXECUTION_FAILED.create('(pipeline)', `${reason}; the model and its pipeline do not fit together`);
    };
    if (!tensor) return fail(`the model returned no output '${output.tensor}'`);
    if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64') return fail(`output '${output.tensor}' is ${tensor.datatype}, not FP32`);
    const data = tensor.data as Float32Array | Float64Array;
    const predictions: Prediction[] = new Array(rows);
    if (output.task === 'regression') {
      if (data.length !== rows) return fail(`output '${output.tensor}' has ${data.length} values for ${rows} rows`);
      for (let r = 0; r < rows; r++) predictions[r] = { value: data[r]! };
      return predictions;
    }
    const labels = output.labels;
    const classes = labels.length;
    if (data.length !== rows * classes) return fail(`output '${output.tensor}' has ${data.length} values for ${rows} rows of ${classes} classes`);
    for (let r = 0; r < rows; r++) {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < classes; c++) {
        const p = data[r * classes + c]!;
        probabilities[labels[c]!] = p;
        if (p > data[r * classes + best]!) best = c;
      }
      predictions[r] = { label: labels[best]!, probabilities };
    }
    return predictions;
  }

  /** Validates, encodes, runs and decodes: the whole path from rows to named results. */
  async predict(runner: TensorRunner, rows: readonly unknown[], options: EncodeOptions = {}): Promise<RowPredictions> {
    const { tensor, unknownFields, values, valueWarnings } = this.encode(rows, options);
    const outputs = await runner.run([tensor], this.outputNames);
    return { predictions: this.decode(outputs, rows.length), unknownFields, values, valueWarnings };
  }
}
