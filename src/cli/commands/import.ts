/** `berth import <file.berth>`: register a version from an archive made by `berth export`. */
import { resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { type AuditActor, type RegisterResult, looksLikeArchive } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth import`. */
export interface ImportCommandOptions {
  readonly config: Config;
  readonly archive: string;
  /** Model name; default the name in the bundle. */
  readonly name?: string | undefined;
  readonly aliases?: readonly string[] | undefined;
  readonly actor?: AuditActor | undefined;
}

/** Verifies the archive and registers its bundle (an existing version for a known digest). */
export async function importCommand(options: ImportCommandOptions): Promise<RegisterResult> {
  const archive = resolve(options.archive);
  const isArchive = await looksLikeArchive(archive).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw Errors.BUNDLE_NOT_FOUND.create(archive, 'no such file');
    if (error.code === 'EISDIR') throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, 'it is a folder; use berth register for bundle folders');
    throw error;
  });
  if (!isArchive) throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, 'it is not a gzip-compressed tar archive');
  return withRegistry(options.config, options.actor, (registry) => registry.register(archive, { name: options.name, aliases: options.aliases }));
}
