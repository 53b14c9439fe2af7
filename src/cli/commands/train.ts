/**
 * `berth train data.csv --target COL`: train a model on a CSV, package it as a bundle (schema,
 * pipeline, metrics, lineage, reference profile) and, with --register, add it to the registry.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import type { PipelineSpec } from '../../core/pipeline-spec.js';
import { type AuditActor, type Registry, validateAliasName, validateModelName } from '../../registry/index.js';
import { modelNameForFile } from '../../app/model-name-for-file.js';
import { type TrainingSummary, trainBundle } from '../../app/train-bundle.js';
import type { AlgorithmChoice, ClassWeight, Task, TrainProgress } from '../../train/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth train`. */
export interface TrainCommandOptions {
  /** For the registry, with `register`. */
  readonly config: Config;
  /** The CSV file. */
  readonly data: string;
  /** The column to predict. */
  readonly target: string;
  /** Field separator of the CSV; absent: detected from its header row. */
  readonly delimiter?: string | undefined;
  readonly task?: Task | 'auto' | undefined;
  readonly algorithm?: AlgorithmChoice | undefined;
  /** Model name; default the CSV's file name without its extension. */
  readonly name?: string | undefined;
  readonly seed?: number | undefined;
  /** A fixed validation CSV instead of a random split. */
  readonly validation?: string | undefined;
  readonly classWeight?: ClassWeight | undefined;
  /** K-fold cross-validation instead of a held-out split. */
  readonly folds?: number | undefined;
  /** Write a strict schema: values training never saw are refused when served. */
  readonly strict?: boolean | undefined;
  /** Bundle folder to create; default `./<name>.bundle`, or none (a temporary one) when registering. */
  readonly out?: string | undefined;
  /** Add the bundle to the registry; implied by `aliases`. */
  readonly register?: boolean | undefined;
  /** Aliases to point at the new version. */
  readonly aliases?: readonly string[] | undefined;
  readonly description?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  readonly onProgress?: ((progress: TrainProgress) => void) | undefined;
  /**
   * Keep the CSV in the registry's blob store as the version's training data (retraining starts
   * from it), and the validation file, if any, as its validation data (retraining's forgetting
   * check scores on it); default the config's `training.keepData`. Only a registered version keeps data.
   */
  readonly keepData?: boolean | undefined;
  readonly actor?: AuditActor | undefined;
}

/** What `berth train` did (`--json` prints it). */
export interface TrainCommandResult extends TrainingSummary {
  /** The model name of the bundle (and of the version, when registered). */
  readonly name: string;
  readonly pipeline: PipelineSpec;
  /** `dir` is null when the bundle was only made to be registered. */
  readonly bundle: { readonly dir: string | null; readonly digest: string; readonly size: number };
  readonly registered: { readonly model: string; readonly version: number; readonly created: boolean; readonly aliasesSet: readonly string[] } | null;
  /** The training data kept with the registered version, or null. */
  readonly keptData: { readonly digest: string; readonly size: number; readonly rows: number } | null;
  /** The validation file kept with the registered version (with `validation` and kept data), or null. */
  readonly keptValidation: { readonly digest: string; readonly size: number; readonly rows: number } | null;
}

/**
 * Trains, packages and (optionally) registers. Names, aliases, the output folder and the registry
 * are checked before training starts, so a mistake there costs no training time.
 */
export async function trainCommand(options: TrainCommandOptions): Promise<TrainCommandResult> {
  const name = validateModelName(options.name ?? modelNameForFile(options.data));
  const aliases = [...(options.aliases ?? [])].map(validateAliasName);
  const register = options.register === true || aliases.length > 0;
  const out = options.out !== undefined ? resolve(options.out) : register ? undefined : resolve(`${name}.bundle`);
  if (options.keepData === true && !register) {
    throw Errors.TRAIN_OPTION_INVALID.create('keepData', 'training data is kept in the registry with the version; add --register (or an --alias)');
  }
  const keepData = register && (options.keepData ?? options.config.training.keepData);
  if (out !== undefined) await refuseExistingOutput(out);
  const train = async (registry: Registry | undefined): Promise<TrainCommandResult> => {
    const scratch = out === undefined ? await mkdtemp(join(tmpdir(), 'berth-train-')) : undefined;
    try {
      const { bundle, result, summary } = await trainBundle({
        csv: { file: options.data, ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}) },
        target: options.target,
        ...(options.task !== undefined ? { task: options.task } : {}),
        ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.validation !== undefined
          ? { validationCsv: { file: options.validation, ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}) } }
          : {}),
        ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
        ...(options.folds !== undefined ? { folds: options.folds } : {}),
        ...(options.strict ? { strict: true } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        name,
        description: options.description,
        tags: options.tags,
        keepData,
        outDir: out ?? join(scratch!, 'bundle'),
      });
      const registered = registry
        ? await registry.register(bundle.dir, { name, aliases, actor: options.actor, source: `train:${resolve(options.data)}` })
        : undefined;
      const kept =
        registry && registered && keepData
          ? await registry.keepTrainingData(registered.version.model, registered.version.version, {
              file: options.data,
              rows: result.table.rows.length,
              source: `train:${resolve(options.data)}`,
            })
          : undefined;
      const keptValidation =
        registry && registered && keepData && options.validation !== undefined && result.lineage.validationData
          ? await registry.keepTrainingData(registered.version.model, registered.version.version, {
              role: 'validation',
              file: options.validation,
              rows: result.lineage.validationData.rows,
              source: `train:${resolve(options.validation)}`,
            })
          : undefined;
      return {
        name,
        ...summary,
        pipeline: result.pipeline,
        bundle: { dir: out ?? null, digest: bundle.digest, size: bundle.size },
        registered: registered
          ? { model: registered.version.model, version: registered.version.version, created: registered.created, aliasesSet: registered.aliasesSet }
          : null,
        keptData: kept ? { digest: kept.digest, size: kept.size, rows: kept.rows } : null,
        keptValidation: keptValidation ? { digest: keptValidation.digest, size: keptValidation.size, rows: keptValidation.rows } : null,
      };
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  };
  // The registry is opened first, so an unreachable database fails before minutes of training.
  return register ? withRegistry(options.config, options.actor, train) : train(undefined);
}

async function refuseExistingOutput(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s) return;
  if (!s.isDirectory() || (await readdir(dir)).length > 0) throw Errors.BUNDLE_OUTPUT_EXISTS.create(dir);
}
