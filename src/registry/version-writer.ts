/**
 * Registering versions, crash-safe (after BentoML's Store.register): every file is stored as a
 * blob first (each one durable and atomic), and only then is all metadata written in one change
 * transaction. A process killed at any moment leaves either no version, or a version whose blobs
 * are all there; a re-run finds the blobs already stored and finishes the job.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Errors } from '../core/errors.js';
import { validateAliasName, validateModelName } from '../core/names.js';
import { describeOnnx } from '../core/signature-from-onnx.js';
import type { BlobStore } from '../store/blob-store.js';
import { moveAlias } from './alias-writer.js';
import { type Bundle, loadBundle } from './bundle.js';
import { importBundle, looksLikeArchive } from './bundle-archive.js';
import { canonicalJson } from './canonical-json.js';
import type { ChangeLog } from './change-log.js';
import { packageModel } from './package-model.js';
import type { AuditActor, RegisterResult } from './registry-records.js';
import type { RegistryReads } from './registry-reads.js';

/** Options of calls that change the registry. */
export interface ChangeOptions {
  /** Attribute the change to this actor instead of the registry's default. */
  readonly actor?: AuditActor | undefined;
}

/** Options for {@link VersionWriter.register} (Registry.register). */
export interface RegisterOptions extends ChangeOptions {
  /** Model name; default the bundle's name (for a plain .onnx file, the file name without .onnx). */
  readonly name?: string | undefined;
  /** Aliases to point at the version, in the same transaction. */
  readonly aliases?: readonly string[] | undefined;
  /** Tags of the version, added to the bundle's own. */
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** Description, when packaging a plain .onnx file (a bundle's own is immutable). */
  readonly description?: string | undefined;
  /** Where it came from, for the record; default derived from the path. */
  readonly source?: string | undefined;
  /**
   * What messages and the default name call the file (an upload's own file name, not where the
   * server keeps it); default its path.
   */
  readonly label?: string | undefined;
}

/** What the writer works with. */
export interface VersionWriterOptions {
  readonly changes: ChangeLog;
  readonly reads: RegistryReads;
  readonly blobs: BlobStore;
  /** Where files being imported or packaged go (BERTH_HOME/tmp). */
  readonly temporary: string;
  readonly now: () => Date;
}

/** The registry's write path. */
export class VersionWriter {
  readonly #options: VersionWriterOptions;

  constructor(options: VersionWriterOptions) {
    this.#options = options;
  }

  /**
   * Registers a bundle folder, a `.berth` archive or a plain `.onnx` file (packaged on the way)
   * as a new version, attributed to `actor` unless the options name another. See Registry.register.
   */
  async register(path: string, options: RegisterOptions, actor: AuditActor): Promise<RegisterResult> {
    const source = resolve(path);
    const s = await stat(source).catch(() => undefined);
    if (!s) throw Errors.BUNDLE_NOT_FOUND.create(source, 'no such file or folder');
    if (s.isDirectory()) return this.registerBundle(await loadBundle(source), { ...options, source: options.source ?? `bundle:${source}` }, actor);
    const temporary = this.#options.temporary;
    await mkdir(temporary, { recursive: true });
    const work = await mkdtemp(join(temporary, 'register-'));
    try {
      if (await looksLikeArchive(source)) {
        const bundle = await importBundle(source, join(work, 'bundle'), options.label !== undefined ? { label: options.label } : {});
        return await this.registerBundle(bundle, { ...options, source: options.source ?? `archive:${source}` }, actor);
      }
      const bundle = await packageModel(source, {
        outDir: join(work, 'bundle'),
        name: options.name,
        label: options.label,
        description: options.description,
        // Only the bundle's digest decides what is a new version, so the packaging time is left
        // out of it; a re-run of the same command finds the version it made before.
      });
      return await this.registerBundle(bundle, { ...options, source: options.source ?? `file:${source}` }, actor);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Registers a verified bundle; see {@link register}. */
  async registerBundle(bundle: Bundle, options: RegisterOptions & { readonly source: string }, actor: AuditActor): Promise<RegisterResult> {
    const name = validateModelName(options.name ?? bundle.manifest.name);
    const aliases = [...new Set((options.aliases ?? []).map(validateAliasName))];
    await checkSignature(bundle);
    const tags = { ...bundle.manifest.tags, ...(options.tags ?? {}) };

    // 1. Blobs first: after this, every file the version will name is durable in the blob store.
    await this.#storeBlobs(bundle);

    // 2. Then all metadata, or none of it, in one transaction.
    const outcome = await this.#options.changes.change(options.actor ?? actor, async (trx, log) => {
      const at = this.#options.now().toISOString();
      const inserted = await trx
        .insertInto('models')
        .values({ name, created_at: at, last_version: 0 })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      if (inserted) await log({ action: 'model.create', model: name });
      const existing = await trx.selectFrom('versions').select('number').where('model', '=', name).where('digest', '=', bundle.digest).executeTakeFirst();
      let number: number;
      if (existing) {
        number = existing.number;
      } else {
        const bumped = await trx
          .updateTable('models')
          .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
          .where('name', '=', name)
          .returning('last_version')
          .executeTakeFirstOrThrow();
        number = bumped.last_version;
        await trx
          .insertInto('versions')
          .values({
            model: name,
            number,
            digest: bundle.digest,
            size: bundle.size,
            created_at: at,
            source: options.source,
            tags: JSON.stringify(tags),
            manifest: bundle.manifestText,
          })
          .execute();
        await trx
          .insertInto('version_files')
          .values(bundle.manifest.files.map((f) => ({ model: name, number, path: f.path, digest: f.sha256, size: f.size })))
          .execute();
        await log({ action: 'version.register', model: name, version: number, details: { digest: bundle.digest, size: bundle.size, source: options.source } });
      }
      const aliasesSet: string[] = [];
      for (const alias of aliases) {
        const change = await moveAlias(trx, log, name, alias, number, at);
        if (change) aliasesSet.push(alias);
      }
      return { number, created: !existing, aliasesSet };
    });

    // 3. A delete running beside us may have removed a blob we reused just before we committed
    // (see VersionDeleter); put back anything missing, from the bundle we still hold.
    await this.#storeBlobs(bundle, true);
    return { version: await this.#options.reads.getVersion(name, outcome.number), created: outcome.created, aliasesSet: outcome.aliasesSet };
  }

  /** Stores every file of the bundle as a blob; with `onlyMissing`, only those not there. */
  async #storeBlobs(bundle: Bundle, onlyMissing = false): Promise<void> {
    const blobs = this.#options.blobs;
    for (const file of bundle.manifest.files) {
      const expected = { digest: file.sha256, size: file.size };
      if (onlyMissing) {
        const found = await blobs.stat(file.sha256);
        if (found?.size === file.size) continue;
      }
      try {
        await blobs.put(join(bundle.dir, ...file.path.split('/')), expected);
      } catch (error) {
        if (Errors.STORE_BLOB_MISMATCH.is(error)) throw Errors.BUNDLE_FILE_CORRUPT.create(`bundle ${bundle.dir}`, file.path, 'changed while it was being registered');
        throw error;
      }
    }
  }
}

/** Refuses a bundle whose manifest signature is not the one its model file has. */
async function checkSignature(bundle: Bundle): Promise<void> {
  const where = `bundle ${bundle.dir}`;
  const bytes = await readFile(bundle.modelPath);
  const actual = describeOnnx(bytes, `${where}: ${basename(bundle.modelPath)}`).signature;
  if (canonicalJson(actual) !== canonicalJson(bundle.manifest.signature)) {
    throw Errors.BUNDLE_SIGNATURE_MISMATCH.create(where, `the file has ${canonicalJson(actual)}`);
  }
}
