/**
 * Reference profiles for bundles: the statistics of the data a model was trained on (or of any
 * CSV said to be its reference), which the monitor compares live traffic with. Built from the
 * features and, where the model has a pipeline, the model's named outputs on the same rows.
 */
import { datatypeInfo } from '../core/datatypes.js';
import { Errors } from '../core/errors.js';
import { type FeatureSchema, parseFeatureSchema } from '../core/feature-schema.js';
import type { PipelineOutput, PipelineSpec } from '../core/pipeline-spec.js';
import type { Signature, TensorSpec } from '../core/signature.js';
import { type FeatureValue, RowValidator } from '../core/validate-row.js';
import { type FeatureSpec, type Profile, buildProfile, monitorSchemaFor } from '../monitor/index.js';
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
  return profileOf(features, result.outputColumns, monitorSchemaFor(result.schema, result.pipeline.output));
}

/**
 * The profile of a CSV file as a model's reference data. With a schema, rows are checked as a
 * request's would be (an error names the line and field) and, with a pipeline too, scored to
 * profile the outputs. Without one, the columns are the model's numeric tensor inputs: `x[0]`,
 * `x[1]`, … for a `[n, k]` input `x` (or, when the header lacks those names, exactly as many
 * columns as the inputs are wide, in order), `x` for a `[n]` input. Throws
 * BERTH_MONITOR_REFERENCE_INVALID when the CSV does not fit.
 */
export async function referenceProfile(table: CsvTable, model: ReferenceModel): Promise<Profile> {
  if (table.rows.length === 0) throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, 'it has a header but no data rows');
  if (!model.schema) {
    const columns = tensorColumns(table, model.signature);
    const features: Record<string, string[]> = {};
    for (const { name, index } of columns) features[name] = table.rows.map((row) => row[index]!);
    return profileOf(features, {}, { features: columns.map(({ name }): FeatureSpec => ({ name, kind: 'numeric' })) });
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
  return profileOf(features, outputColumns(model.pipeline.output, predictions), monitorSchemaFor(schema, model.pipeline.output));
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

/** The CSV column of every element of the model's tensor inputs. */
function tensorColumns(table: CsvTable, signature: Signature): TensorColumn[] {
  const refuse = (reason: string): never => {
    throw Errors.MONITOR_REFERENCE_INVALID.create(table.source, reason);
  };
  if (signature.inputs.length === 0) refuse('the model has no inputs');
  const names: string[] = [];
  for (const input of signature.inputs) names.push(...inputColumnNames(input, signature, table.header.length, refuse));
  const byName = new Map(table.header.map((name, index) => [name, index]));
  if (names.every((name) => byName.has(name))) return names.map((name) => ({ name, index: byName.get(name)! }));
  if (names.length === table.header.length) return names.map((name, index) => ({ name, index }));
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
