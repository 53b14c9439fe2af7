/**
 * A model folder: bundles laid out as `<name>/<version>/` under one folder, with an index
 * (`berth-models.json`) naming each version's digest and aliases. It is what `berth build` bakes
 * into an image (and a modelcar carries under /models), and what `berth serve <folder>` serves: a
 * read-only registry that needs no database. Every bundle is verified against the index's digest
 * when it is read.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { Errors } from '../core/errors.js';
import { type Bundle, loadBundle } from './bundle.js';
import { isModelName, validateAliasName } from '../core/names.js';

/** The index file at the top of a model folder. */
export const MODEL_FOLDER_INDEX = 'berth-models.json';

/** The index's format version; a newer one is refused. */
export const MODEL_FOLDER_FORMAT = 1;

/** One version in a model folder. */
export interface ModelFolderVersion {
  readonly model: string;
  readonly version: number;
  /** The bundle's digest, `sha256:<hex>`; the bundle is refused unless it matches. */
  readonly digest: string;
  /** Aliases that pointed at the version when the folder was made. */
  readonly aliases: readonly string[];
}

/** The index of a model folder. */
export interface ModelFolderIndex {
  readonly format: number;
  readonly versions: readonly ModelFolderVersion[];
}

const IndexSchema = z
  .object({
    format: z.number().int(),
    versions: z
      .array(
        z
          .object({
            model: z.string().refine(isModelName, 'is not a valid model name'),
            version: z.number().int().min(1),
            digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'is not sha256:<64 hex digits>'),
            aliases: z.array(z.string()),
          })
          .strict(),
      )
      .min(1, 'lists no versions'),
  })
  .strict();

/** Where the bundle of a version lives, relative to the folder (`loans/3`). */
export function modelFolderPath(version: Pick<ModelFolderVersion, 'model' | 'version'>): string {
  return `${version.model}/${version.version}`;
}

/** The index text for these versions, sorted so the same versions always give the same bytes. */
export function modelFolderIndexText(versions: readonly ModelFolderVersion[]): string {
  const sorted = [...versions]
    .map((v) => ({ model: v.model, version: v.version, digest: v.digest, aliases: [...v.aliases].sort() }))
    .sort((a, b) => (a.model === b.model ? a.version - b.version : a.model < b.model ? -1 : 1));
  return `${JSON.stringify({ format: MODEL_FOLDER_FORMAT, versions: sorted }, null, 2)}\n`;
}

/** True when `dir` has a model folder index. */
export async function isModelFolder(dir: string): Promise<boolean> {
  return readFile(join(dir, MODEL_FOLDER_INDEX)).then(
    () => true,
    () => false,
  );
}

/**
 * Reads a model folder's index. Throws BERTH_MODEL_FOLDER_INVALID when it is missing, not valid
 * JSON, of a newer format, or names a version twice or an alias on two versions of a model.
 */
export async function readModelFolderIndex(dir: string): Promise<ModelFolderIndex> {
  const root = resolve(dir);
  let text: string;
  try {
    text = await readFile(join(root, MODEL_FOLDER_INDEX), 'utf8');
  } catch {
    throw Errors.MODEL_FOLDER_INVALID.create(root, `it has no ${MODEL_FOLDER_INDEX}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw Errors.MODEL_FOLDER_INVALID.create(root, `${MODEL_FOLDER_INDEX} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = IndexSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`).join('; ');
    throw Errors.MODEL_FOLDER_INVALID.create(root, `${MODEL_FOLDER_INDEX}: ${problems}`);
  }
  if (parsed.data.format > MODEL_FOLDER_FORMAT) {
    throw Errors.MODEL_FOLDER_INVALID.create(root, `${MODEL_FOLDER_INDEX} has format ${parsed.data.format}, newer than this Berth reads (${MODEL_FOLDER_FORMAT}); upgrade Berth`);
  }
  const seen = new Set<string>();
  const aliasOwner = new Map<string, number>();
  for (const v of parsed.data.versions) {
    if (seen.has(modelFolderPath(v))) throw Errors.MODEL_FOLDER_INVALID.create(root, `${v.model}:${v.version} is listed twice`);
    seen.add(modelFolderPath(v));
    for (const alias of v.aliases) {
      validateAliasName(alias);
      const key = `${v.model}@${alias}`;
      if (aliasOwner.has(key)) throw Errors.MODEL_FOLDER_INVALID.create(root, `${key} points at two versions`);
      aliasOwner.set(key, v.version);
    }
  }
  return parsed.data;
}

/** Reads and verifies the bundle of one version in a model folder (see loadBundle). */
export function loadModelFolderBundle(dir: string, version: ModelFolderVersion): Promise<Bundle> {
  return loadBundle(join(resolve(dir), ...modelFolderPath(version).split('/')), {
    expectedDigest: version.digest,
    where: `version ${version.model}:${version.version} in ${resolve(dir)}`,
  });
}
