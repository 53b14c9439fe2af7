/** Writing an output file whole or not at all. */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { BerthError, Errors } from '../core/errors.js';

/**
 * Writes `path` through a temporary sibling renamed into place, so a failed write leaves no partial
 * file. Throws BERTH_OUTPUT_FILE_UNWRITABLE when the file cannot be written (no such folder, no
 * permission, a full disk); what `write` throws passes unchanged.
 */
export async function writeAtomically(path: string, write: (file: Writable) => Promise<void>): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await write(createWriteStream(temporary, { flags: 'wx' }));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw fileProblem(error, [temporary, path]) ?? error;
  }
}

/** Codes of a file that cannot be written wherever it is written. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** The catalogue error of a failure to write one of `paths`, or undefined for any other error. */
function fileProblem(error: unknown, paths: readonly string[]): Error | undefined {
  if (error instanceof BerthError || !(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return undefined;
  const where = 'path' in error && typeof error.path === 'string' ? error.path : undefined;
  if (!NO_ROOM.has(error.code) && (where === undefined || !paths.includes(where))) return undefined;
  return Errors.OUTPUT_FILE_UNWRITABLE.create(paths[paths.length - 1]!, reasonOf(error.code, error.message), { cause: error });
}

function reasonOf(code: string, message: string): string {
  switch (code) {
    case 'ENOENT':
      return 'its folder does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'the disk is full';
    default:
      return message;
  }
}
