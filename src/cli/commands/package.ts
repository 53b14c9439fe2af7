/** `berth package <model.onnx>`: make a bundle folder from an ONNX file. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Errors } from '../../core/errors.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import type { PipelineSpec } from '../../core/pipeline-spec.js';
import type { Signature } from '../../core/signature.js';
import { describeOnnx } from '../../core/signature-from-onnx.js';
import { type JsonObject, packageModel, validateModelName } from '../../registry/index.js';
import { referenceProfile } from '../../app/reference-profile.js';
import { readCsvFile } from '../../train/index.js';

/** Options of `berth package`. */
export interface PackageCommandOptions {
  /** The ONNX file. */
  readonly model: string;
  /** Model name; default the file name without `.onnx`. */
  readonly name?: string | undefined;
  /** The bundle folder to create; default `./<name>`. */
  readonly out?: string | undefined;
  readonly description?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** JSON files holding the schema, pipeline, reference profile, metrics and lineage. */
  readonly schemaFile?: string | undefined;
  readonly pipelineFile?: string | undefined;
  readonly profileFile?: string | undefined;
  readonly metricsFile?: string | undefined;
  readonly lineageFile?: string | undefined;
  /** A CSV of the model's reference data, profiled into the bundle (instead of `profileFile`). */
  readonly referenceFile?: string | undefined;
  /** The reference CSV's column of true labels, for a classifier's calibration (default: the pipeline's target, when present). */
  readonly target?: string | undefined;
}

/** What `berth package` made. */
export interface PackageCommandResult {
  readonly dir: string;
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  readonly signature: Signature;
}

/** Packages an ONNX file as a bundle folder. */
export async function packageCommand(options: PackageCommandOptions): Promise<PackageCommandResult> {
  const name = validateModelName(options.name ?? basename(options.model).replace(/\.onnx$/i, ''));
  const schema = (await readJsonFile(options.schemaFile)) as FeatureSchema | undefined;
  const pipeline = (await readJsonFile(options.pipelineFile)) as PipelineSpec | undefined;
  const profile = options.referenceFile === undefined ? await readJsonFile(options.profileFile) : await profileOfReference(options, schema, pipeline);
  const bundle = await packageModel(options.model, {
    outDir: resolve(options.out ?? name),
    name,
    description: options.description,
    tags: options.tags,
    schema,
    pipeline,
    profile,
    metrics: (await readJsonFile(options.metricsFile)) as Record<string, number> | undefined,
    lineage: await readJsonFile(options.lineageFile),
  });
  return { dir: bundle.dir, name: bundle.manifest.name, digest: bundle.digest, size: bundle.size, signature: bundle.manifest.signature };
}

/**
 * The profile of `--reference`, with the schema (and pipeline) given, else of the model's tensor
 * inputs. A model file that cannot be read is left for packageModel to report.
 */
async function profileOfReference(options: PackageCommandOptions, schema: FeatureSchema | undefined, pipeline: PipelineSpec | undefined): Promise<JsonObject | undefined> {
  const csv = options.referenceFile!;
  if (options.profileFile !== undefined) throw Errors.MONITOR_REFERENCE_INVALID.create(csv, 'give either --profile or --reference, not both');
  const onnx = await readFile(options.model).catch(() => undefined);
  if (!onnx) return undefined;
  const signature = describeOnnx(onnx, resolve(options.model)).signature;
  return (await referenceProfile(await readCsvFile(csv), { onnx, signature, schema, pipeline }, options.target)) as unknown as JsonObject;
}

async function readJsonFile(path: string | undefined): Promise<JsonObject | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw Errors.BUNDLE_NOT_FOUND.create(resolve(path), (error as Error).message);
  }
  try {
    return JSON.parse(text) as JsonObject;
  } catch (error) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(`the bundle being packaged`, `${path} is not valid JSON (${(error as Error).message})`);
  }
}
