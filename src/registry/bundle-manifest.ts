/**
 * The bundle manifest, `berth.json`: what a bundle is (name, description, when it was made), the
 * model file and its signature, the optional schema, pipeline, reference profile, metrics,
 * lineage and tags, and every file of the bundle with its sha256 and size.
 *
 * @example
 *   {
 *     "formatVersion": 1,
 *     "name": "digits",
 *     "description": "",
 *     "created": "2025-01-31T12:00:00.000Z",
 *     "model": { "file": "model.onnx", "irVersion": 8, "opsets": [{ "domain": "", "version": 17 }] },
 *     "signature": { "inputs": [{ "name": "x", "datatype": "FP32", "shape": [-1, 64] }], "outputs": [...] },
 *     "tags": { "team": "vision" },
 *     "files": [{ "path": "model.onnx", "sha256": "sha256:…", "size": 18231 }]
 *   }
 */
import { z } from 'zod';
import { type BatchingOverrides, BatchingOverridesSchema } from '../core/config.js';
import { DATATYPES } from '../core/datatypes.js';
import { BerthError, Errors } from '../core/errors.js';
import { type FeatureSchema, parseFeatureSchema } from '../core/feature-schema.js';
import { type PipelineSpec, parsePipelineSpec } from '../core/pipeline-spec.js';
import type { Signature } from '../core/signature.js';
import { isModelName } from '../core/names.js';

/** The manifest's file name inside a bundle. */
export const MANIFEST_FILE = 'berth.json';

/** The bundle format this Berth writes, and the newest it reads. */
export const BUNDLE_FORMAT_VERSION = 1;

/** A file of the bundle. */
export interface BundleFile {
  /** Path inside the bundle, `/`-separated, relative. */
  readonly path: string;
  /** `sha256:<hex>` of the content. */
  readonly sha256: string;
  readonly size: number;
}

/** The model file and what was read from it at packaging time. */
export interface BundleModel {
  /** Path of the ONNX file inside the bundle. */
  readonly file: string;
  readonly irVersion?: number;
  readonly opsets?: readonly { readonly domain: string; readonly version: number }[];
  readonly producer?: string;
  readonly producerVersion?: string;
}

/** JSON values the manifest carries for other layers without interpreting them. */
export type JsonObject = { readonly [key: string]: unknown };

/** The parsed `berth.json`. Unknown top-level fields are kept (and covered by the digest). */
export interface BundleManifest {
  readonly formatVersion: 1;
  /** The name the bundle suggests; the registry may register it under another. */
  readonly name: string;
  readonly description: string;
  /** When the bundle was made, ISO 8601. Not part of the digest. */
  readonly created: string;
  readonly model: BundleModel;
  readonly signature: Signature;
  readonly schema?: FeatureSchema;
  readonly pipeline?: PipelineSpec;
  /** The reference profile (statistics of the training data), for the monitor. */
  readonly profile?: JsonObject;
  /** Headline figures by name (`accuracy`, `rmse`, …), for lists and comparisons. */
  readonly metrics?: Readonly<Record<string, number>>;
  /**
   * How the model was evaluated, in full: the task, the rows held out, every metric (the
   * confusion matrix included) and each candidate tried. `metrics` holds its scalar figures.
   */
  readonly evaluation?: JsonObject;
  /** Where the model came from: training data, code revision, parent version … */
  readonly lineage?: JsonObject;
  readonly tags: Readonly<Record<string, string>>;
  readonly files: readonly BundleFile[];
  /** How the bundle asks to be served; the operator's config for the model overrides it. */
  readonly serving?: BundleServing;
  readonly [extension: string]: unknown;
}

/** A bundle's serving settings (`serving` in `berth.json`). */
export interface BundleServing {
  /** Batching and queueing, within the bounds the config allows (core/config.ts). */
  readonly batching?: Readonly<BatchingOverrides>;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/;

/** Why `path` cannot name a file in a bundle, or undefined when it can. */
export function bundlePathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > 1024) return 'it is empty or longer than 1024 characters';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  const segments = path.split('/');
  if (segments.length > 16) return 'it is nested more than 16 folders deep';
  for (const segment of segments) {
    if (segment === '..' || segment === '.') return `it contains '${segment}'`;
    if (!SEGMENT.test(segment)) return `segment '${segment}' is not letters, digits, '.', '_' and '-' (not starting with '.' or '-')`;
  }
  if (path === MANIFEST_FILE) return `${MANIFEST_FILE} is the manifest itself`;
  return undefined;
}

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lower-case hex digits>');
const tensorSpec = z.strictObject({
  name: z.string().min(1),
  datatype: z.enum(DATATYPES),
  shape: z.array(z.number().int().min(-1)).optional(),
});
const jsonObject = z.record(z.string(), z.unknown());

const ManifestSchema = z.looseObject({
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
  name: z.string().refine(isModelName, "must be a model name (letters, digits, '.', '_', '-', at most 128)"),
  description: z.string().max(10_000).default(''),
  created: z.iso.datetime({ offset: true }),
  model: z.looseObject({
    file: z.string(),
    irVersion: z.number().int().positive().optional(),
    opsets: z.array(z.strictObject({ domain: z.string(), version: z.number().int() })).optional(),
    producer: z.string().optional(),
    producerVersion: z.string().optional(),
  }),
  signature: z.strictObject({ inputs: z.array(tensorSpec), outputs: z.array(tensorSpec).min(1) }),
  schema: jsonObject.optional(),
  pipeline: jsonObject.optional(),
  profile: jsonObject.optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  evaluation: jsonObject.optional(),
  lineage: jsonObject.optional(),
  tags: z.record(z.string(), z.string()).default({}),
  serving: z.strictObject({ batching: BatchingOverridesSchema.optional() }).optional(),
  files: z.array(z.strictObject({ path: z.string(), sha256: digest, size: z.number().int().nonnegative() })).min(1),
});

/**
 * Checks a parsed `berth.json` and returns it typed. `where` names the bundle in messages.
 * Throws BERTH_BUNDLE_FORMAT_UNSUPPORTED for a newer format and BERTH_BUNDLE_MANIFEST_INVALID
 * for anything else wrong: a missing field, an unsafe or duplicate file path, a model file the
 * file list lacks, an invalid schema or pipeline.
 */
export function parseManifest(value: unknown, where: string): BundleManifest {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, 'it is not a JSON object');
  const format = (value as { formatVersion?: unknown }).formatVersion;
  if (typeof format === 'number' && format !== BUNDLE_FORMAT_VERSION) throw Errors.BUNDLE_FORMAT_UNSUPPORTED.create(where, String(format));
  const result = ManifestSchema.safeParse(value);
  if (!result.success) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(where, result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const manifest = result.data as unknown as BundleManifest;
  const seen = new Set<string>();
  for (const file of manifest.files) {
    const problem = bundlePathProblem(file.path);
    if (problem) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `file path '${file.path}' is unsafe: ${problem}`);
    // Case-insensitive file systems (macOS, Windows) would merge two such files into one.
    const key = file.path.toLowerCase();
    if (seen.has(key)) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `file '${file.path}' is listed twice`);
    seen.add(key);
  }
  if (!manifest.files.some((f) => f.path === manifest.model.file)) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `model file '${manifest.model.file}' is not in the file list`);
  }
  try {
    const schema = manifest.schema === undefined ? undefined : parseFeatureSchema(manifest.schema);
    if (manifest.pipeline !== undefined) parsePipelineSpec(manifest.pipeline, schema);
  } catch (error) {
    if (error instanceof BerthError) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, error.message);
    throw error;
  }
  return manifest;
}

/** Parses the text of `berth.json`; see {@link parseManifest}. */
export function parseManifestText(text: string, where: string): BundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `it is not valid JSON (${(error as Error).message})`);
  }
  return parseManifest(value, where);
}
