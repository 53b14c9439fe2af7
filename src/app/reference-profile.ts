/**
 * Reference profiles for bundles: the statistics of the data a model was trained on (or of any
 * CSV said to be its reference), which the monitor compares live traffic with. Built from the
 * features and, where the model has a pipeline, the model's named outputs on the same rows.
 */
import { datatypeInfo } from '../core/datatypes.js';
import { type Tensor, tensorDataFromJson } from '../core/tensor.js';
import { createSession, runSession } from '../runtime/session-runner.js';
import { Errors } from '../core/errors.js';
import { type FeatureSchema, parseFeatureSchema } from '../core/feature-schema.js';
import type { PipelineOutput, PipelineSpec } from '../core/pipeline-spec.js';
import type { Signature, TensorSpec } from '../core/signature.js';
import { type FeatureValue, RowValidator } from '../core/validate-row.js';
import { type FeatureSpec, type Profile, buildProfile, fitCalibration, inferKind, monitorSchemaFor, tensorColumns as monitoredTensorColumns } from '../monitor/index.js';
import type { Prediction } from '../runtime/pipeline.js';
import { type CsvTable, type TrainResult, columnValues, rowLine, scoreRows, tableRecords } from '../train/index.js';

/** What a reference profile needs to know about a model. */
export interface ReferenceModel {
  /** The bytes of the `.onnx` file (run to profile the outputs when there is a pipeline). */
  readonly onnx: Uint8Array;
  readonly signature: Signature;
  readonly schema?: FeatureSchema | undefined;
  readonly pipeline?: PipelineSpec | undefined;
}

/**
 * The profile of a training run: every row it used (features as the trainer parsed them) and the
 * exported model's outputs on those rows.
 */
export function trainingProfile(result: TrainResult): Profile {
  const features: Record<string, readonly unknown[]> = {};
  for (const column of result.columns.features) features[column.name] = columnValues(column);
  const profile = profileOf(features, result.outputColumns, monitorSchemaFor(result.schema, result.pipeline.output));
  const target = result.columns.target;
  if (target.task !== 'classification') return profile;
  const truth = Array.from(target.classes, (c) => target.labels[c]);
  return withCalibration(profile, result.pipeline.output, truth, result.outputColumns);
}

/**
 * The profile with the model's calibration on rows whose truth is known, when the model is a
 * classifier and the truth holds two classes or more (otherwise the profile as it was: estimation
 * is then unavailable, and the performance report says why).
 */
function withCalibration(profile: Profile, output: PipelineOutput, truth: readonly unknown[], outputs: Readonly<Record<string, readonly unknown[]>>): Profile {
  if (output.task !== 'classification') return profile;
  const probabilities = Object.fromEntries(output.labels.map((label) => [label, outputs[`probability_${label}`] ?? []]));
  if (new Set(truth.filter((t) => t !== null && t !== undefined && t !== '').map(String)).size < 2) return profile;
  return { ...profile, calibration: fitCalibration(output.target, truth, probabilities, output.labels) };
}

/**
 * The profile of a CSV file as a model's reference data. With a schema, rows are checked as a
 * request's would be (an error names the line and field) and, with a pipeline too, scored to
 * profile the outputs. Without one, the columns are the model's numeric tensor inputs: `x[0]`,
 * `x[1]`, … for a `[n, k]` input `x` (or, when the header lacks those names, exactly as many
 * columns as the inputs are wide, in order), `x` for a `[n]` input; the model is run on them and
 * its outputs profiled under the names the live monitor gives them (`y[0]`, … or `y`), so
 * prediction drift works for imported models too. A classifier's profile also carries its
 * calibration when the CSV holds the truth: the column `target`, else the one the pipeline names
 * (`pipeline.output.target`), if present. Throws BERTH_MONITOR_REFERENCE_INVALID when the CSV does
 * not fit, the model cannot run on it, or `target` is given but absent or a single class.
 */
export async function referenceProfile(table: CsvTable, model: ReferenceModel, target?: string): Promise<Profile> {
  if (table.rows.length === 0) throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, 'it has a header but no data rows');
  if (!model.schema) {
    const groups = tensorColumns(table, model.signature);
    const columns = groups.flatMap((g) => g.columns);
    const features: Record<string, string[]> = {};
    for (const { name, index } of columns) features[name] = table.rows.map((row) => row[index]!);
    const outputs = await modelOutputColumns(table, model, groups);
    const outputSpecs = Object.entries(outputs).flatMap(([name, values]): FeatureSpec[] => {
      const kind = inferKind(values);
      return kind === undefined ? [] : [{ name, kind }];
    });
    return profileOf(features, outputs, { features: columns.map(({ name }): FeatureSpec => ({ name, kind: 'numeric' })), outputs: outputSpecs });
  }

  // The schema may come straight from a user's file: check it before rows are checked against it.
  const schema = parseFeatureSchema(model.schema);
  const describeRow = (index: number): string => `${table.source} line ${rowLine(table, index)}`;
  const records = tableRecords(table);
  const validator = new RowValidator(schema, { describeRow });
  const values: FeatureValue[][] = records.map((record, i) => validator.validate(record, i));
  const features: Record<string, FeatureValue[]> = {};
  schema.features.forEach((feature, f) => (features[feature.name] = values.map((row) => row[f]!)));
  if (!model.pipeline) return profileOf(features, {}, monitorSchemaFor(schema));

  const { predictions } = await scoreRows({ onnx: model.onnx, schema, pipeline: model.pipeline, rows: records, describeRow });
  const outputs = outputColumns(model.pipeline.output, predictions);
  const profile = profileOf(features, outputs, monitorSchemaFor(schema, model.pipeline.output));
  // The model's own target column, or the one named, makes the calibration that estimation needs.
  const targetName = target ?? model.pipeline.output.target;
  const targetIndex = table.header.indexOf(targetName);
  if (targetIndex < 0) {
    if (target !== undefined) throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, `it has no column '${target}' (the target named); its columns are ${table.header.join(', ')}`);
    return profile;
  }
  if (model.pipeline.output.task !== 'classification') return profile;
  const truth = table.rows.map((row) => row[targetIndex]!.trim());
  if (target !== undefined && new Set(truth.filter((t) => t !== '')).size < 2) {
    throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, `its column '${target}' holds fewer than two classes, so the model's calibration cannot be measured`);
  }
  try {
    return withCalibration(profile, model.pipeline.output, truth, outputs);
  } catch (error) {
    // A column found by the pipeline's name that does not hold its labels only means no calibration.
    if (target === undefined) return profile;
    throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, `its column '${target}' cannot calibrate the model: ${(error as Error).message.replace(/\.$/, '')}`);
  }
}

/**
 * Builds features and outputs apart, so a feature may share a name with an output (`value`,
 * `label`) without the two columns being confused.
 */
function profileOf(
  features: Readonly<Record<string, readonly unknown[]>>,
  outputs: Readonly<Record<string, readonly unknown[]>>,
  schema: { readonly features: readonly FeatureSpec[]; readonly outputs?: readonly FeatureSpec[] },
): Profile {
  const featureProfile = buildProfile(features, schema.features);
  if (!schema.outputs?.length) return featureProfile;
  const outputProfile = buildProfile(outputs, schema.outputs);
  return { ...featureProfile, outputs: outputProfile.features };
}

/** Named outputs as columns: `label` and `probability_<label>`, or `value`. */
function outputColumns(output: PipelineOutput, predictions: readonly Prediction[]): Record<string, (string | number)[]> {
  if (output.task === 'regression') return { value: predictions.map((p) => ('value' in p ? p.value : NaN)) };
  const columns: Record<string, (string | number)[]> = { label: predictions.map((p) => ('label' in p ? p.label : '')) };
  for (const label of output.labels) columns[`probability_${label}`] = predictions.map((p) => ('probabilities' in p ? p.probabilities[label]! : NaN));
  return columns;
}

interface TensorColumn {
  readonly name: string;
  readonly index: number;
}

/** One tensor input and the CSV columns of its elements, in order. */
interface InputColumns {
  readonly input: TensorSpec;
  readonly columns: readonly TensorColumn[];
}

/** Rows per run when the model's batch dimension is dynamic. */
const REFERENCE_BATCH_ROWS = 4096;

/**
 * The model's outputs on the reference rows as the live monitor names them (tensorColumns of
 * src/monitor/build-prediction-event.ts). A model whose batch dimension is fixed above 1 cannot
 * take arbitrary row counts; its outputs are not profiled.
 */
async function modelOutputColumns(table: CsvTable, model: ReferenceModel, groups: readonly InputColumns[]): Promise<Record<string, unknown[]>> {
  const fixed = groups.map((g) => g.input.shape?.[0] ?? -1).find((d) => d > 0);
  if (fixed !== undefined && fixed !== 1) return {};
  const batch = fixed ?? REFERENCE_BATCH_ROWS;
  const session = await createSession(model.onnx, { intraOpThreads: 1 });
  const columns: Record<string, unknown[]> = {};
  try {
    for (let first = 0; first < table.rows.length; first += batch) {
      const rows = table.rows.slice(first, first + batch);
      const inputs = groups.map(({ input, columns: inputColumns }): Tensor => {
        const shape = input.shape?.length === 1 ? [rows.length] : [rows.length, inputColumns.length];
        const cell = cellReader(input.datatype);
        const values = rows.flatMap((row) => inputColumns.map(({ index }) => cell(row[index]!)));
        try {
          return { name: input.name, datatype: input.datatype, shape, data: tensorDataFromJson(input.datatype, values, shape, input.name) };
        } catch (error) {
          const line = rowLine(table, first);
          throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, `its rows from line ${line} cannot be the model's input: ${(error as Error).message.replace(/\.$/, '')}`);
        }
      });
      let outputs: Tensor[];
      try {
        outputs = await runSession(session, inputs, model.signature.outputs.map((o) => o.name));
      } catch (error) {
        throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, `the model could not run on its rows: ${(error as Error).message.replace(/\.$/, '')}`);
      }
      for (const [name, values] of Object.entries(monitoredTensorColumns(outputs, rows.length))) {
        const column = (columns[name] ??= new Array<unknown>(first).fill(null));
        for (const v of values) column.push(typeof v === 'bigint' ? Number(v) : v);
      }
    }
  } finally {
    await session.release();
  }
  return columns;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A CSV cell as the JSON value tensorDataFromJson takes for `datatype`: numbers as numbers (64-bit
 * integers as their exact text), `true`/`false` for booleans, a missing cell as NaN for floats;
 * anything else is passed on as text for the conversion to name.
 */
function cellReader(datatype: TensorSpec['datatype']): (cell: string) => unknown {
  const kind = datatypeInfo(datatype).kind;
  const float = kind === 'float' || kind === 'half';
  return (cell) => {
    const text = cell.trim();
    if (kind === 'bool') return text.toLowerCase() === 'true' || text === '1' ? true : text.toLowerCase() === 'false' || text === '0' ? false : text;
    if (text === '') return float ? 'NaN' : text;
    return DECIMAL.test(text) && kind !== 'bigint' ? Number(text) : text;
  };
}

/** The CSV column of every element of the model's tensor inputs, input by input. */
function tensorColumns(table: CsvTable, signature: Signature): InputColumns[] {
  const refuse = (reason: string): never => {
    throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, reason);
  };
  if (signature.inputs.length === 0) refuse('the model has no inputs');
  const perInput = signature.inputs.map((input) => ({ input, names: inputColumnNames(input, signature, table.header.length, refuse) }));
  const names = perInput.flatMap((p) => p.names);
  const byName = new Map(table.header.map((name, index) => [name, index]));
  const group = (indexOf: (name: string, position: number) => number): InputColumns[] => {
    let position = 0;
    return perInput.map(({ input, names: inputNames }) => ({ input, columns: inputNames.map((name) => ({ name, index: indexOf(name, position++) })) }));
  };
  if (names.every((name) => byName.has(name))) return group((name) => byName.get(name)!);
  if (names.length === table.header.length) return group((_, position) => position);
  const shown = names.length > 4 ? `${names.slice(0, 3).join(', ')}, … ${names.at(-1)}` : names.join(', ');
  return refuse(
    `the model has no feature schema, so its columns must be its tensor inputs: ${names.length} columns named ${shown}, ` +
      `or exactly ${names.length} columns in that order, but the file has ${table.header.length}. Package the model with --schema for named features`,
  );
}

function inputColumnNames(input: TensorSpec, signature: Signature, columns: number, refuse: (reason: string) => never): string[] {
  const kind = datatypeInfo(input.datatype).kind;
  if (kind === 'bytes') refuse(`input '${input.name}' holds ${input.datatype} values, which a reference profile of tensor inputs cannot summarise`);
  const shape = input.shape ?? [];
  if (shape.length === 1) return [input.name];
  if (shape.length !== 2) refuse(`input '${input.name}' has shape [${shape.join(', ')}]; only [n] and [n, k] inputs can be read from CSV columns`);
  // A dynamic width is only knowable when this input is the model's only one: then it is the file's.
  const width = shape[1]! >= 0 ? shape[1]! : signature.inputs.length === 1 ? columns : refuse(`input '${input.name}' has a dynamic width beside other inputs`);
  return Array.from({ length: width }, (_, j) => `${input.name}[${j}]`);
}
