/**
 * `--base host`: a minimal runtime from this machine's own Node binary and the shared libraries
 * that it and Berth's native modules load (found with `ldd`), plus the few files a process
 * expects (/etc/passwd with the image's user, a /tmp). A modelcar gets the shell tools KServe
 * runs in it instead of Node. Linux x64 with glibc only: that is what the
 * image runs on and what onnxruntime-node's binary needs.
 */
import { execFile } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Errors } from '../../core/errors.js';
import { type LayerEntry, contentEntry, directoryEntry, fileEntry } from './layer-entry.js';

const run = promisify(execFile);

/** Where the image's Node binary lives, whatever the base. */
export const IMAGE_NODE_PATH = '/usr/local/bin/node';

/** The image's user: not root, with no shell and no home to write to. */
export const IMAGE_USER = { uid: 65532, gid: 65532, name: 'berth' } as const;

/** A program of this machine to copy into the image. */
export interface HostBinary {
  /** Where it is here, e.g. process.execPath. */
  readonly source: string;
  /** Where it goes in the image, e.g. /usr/local/bin/node. */
  readonly path: string;
}

/** The tools KServe runs in a modelcar container (`sh -c "ln -s … && sleep infinity"`). */
export const MODELCAR_TOOLS: readonly string[] = ['sh', 'ln', 'sleep'];

/** What {@link hostRuntimeEntries} needs to know about this machine. */
export interface HostRuntimeOptions {
  /** The programs to copy, with the libraries they load. */
  readonly binaries: readonly HostBinary[];
  /** Native modules (`.node`, `.so`) that will be loaded in the image; their libraries come too. */
  readonly nativeModules: readonly string[];
  /** Libraries under this folder travel with Berth's own files, not the runtime. */
  readonly packageRoot: string;
  /** `process.platform` and `process.arch` of this machine. */
  readonly platform: string;
  readonly arch: string;
}

/**
 * The runtime layer's entries. Throws BERTH_IMAGE_BASE_UNSUPPORTED off Linux x64, when `ldd` is
 * missing, or when a library cannot be found or is not glibc's.
 */
export async function hostRuntimeEntries(options: HostRuntimeOptions): Promise<LayerEntry[]> {
  if (options.platform !== 'linux' || options.arch !== 'x64') {
    throw Errors.IMAGE_BASE_UNSUPPORTED.create('host', `this machine is ${options.platform}/${options.arch}; --base host works on Linux x64 only (use --base <image> or oci:<layout>)`);
  }
  const libraries = new Map<string, string>();
  for (const binary of [...options.binaries.map((b) => b.source), ...options.nativeModules]) {
    for (const library of await sharedLibraries(binary)) {
      if (!library.startsWith(`${options.packageRoot}/`)) libraries.set(library, library);
    }
  }
  if (![...libraries.keys()].some((path) => /\/libc\.so\.6$/.test(path))) {
    throw Errors.IMAGE_BASE_UNSUPPORTED.create('host', `${options.binaries[0]?.source ?? 'this machine'} does not load glibc's libc.so.6; onnxruntime-node needs glibc`);
  }
  const entries: LayerEntry[] = [];
  for (const binary of options.binaries) {
    const real = await realpath(binary.source);
    entries.push(fileEntry(binary.path, real, (await stat(real)).size, 0o755));
  }
  for (const path of [...libraries.keys()].sort()) {
    // The file itself, at the path the loader asks for (distributions link versioned names).
    const real = await realpath(path);
    entries.push(fileEntry(path, real, (await stat(real)).size, 0o755));
  }
  const { uid, gid, name } = IMAGE_USER;
  entries.push(
    contentEntry('/etc/passwd', `root:x:0:0:root:/root:/usr/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/tmp:/usr/sbin/nologin\n`),
    contentEntry('/etc/group', `root:x:0:\n${name}:x:${gid}:\n`),
    directoryEntry('/tmp', 0o1777),
    directoryEntry('/root', 0o700),
  );
  return entries;
}

/**
 * The modelcar tools of this machine (the first of /bin/<tool> and /usr/bin/<tool>), to go to
 * /bin/<tool>. Throws BERTH_IMAGE_BASE_UNSUPPORTED when one is missing.
 */
export async function hostModelcarTools(): Promise<HostBinary[]> {
  const found: HostBinary[] = [];
  for (const tool of MODELCAR_TOOLS) {
    const candidates = [`/bin/${tool}`, `/usr/bin/${tool}`];
    let source: string | undefined;
    for (const candidate of candidates) {
      if (await stat(candidate).then((s) => s.isFile(), () => false)) {
        source = candidate;
        break;
      }
    }
    if (!source) throw Errors.IMAGE_BASE_UNSUPPORTED.create('host', `a modelcar needs ${tool}, which this machine lacks at ${candidates.join(' or ')}`);
    found.push({ source, path: `/bin/${tool}` });
  }
  return found;
}

/** Absolute paths of the libraries `binary` loads (its ELF interpreter included), per `ldd`. */
async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ldd', [binary]));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'ldd is not installed (Debian: libc-bin)' : `ldd ${binary} failed: ${(error as Error).message}`;
    throw Errors.IMAGE_BASE_UNSUPPORTED.create('host', reason);
  }
  const found: string[] = [];
  for (const line of stdout.split('\n')) {
    const missing = /^\s*(\S+) => not found/.exec(line);
    if (missing) throw Errors.IMAGE_BASE_UNSUPPORTED.create('host', `${binary} needs ${missing[1]}, which this machine lacks`);
    const match = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)/.exec(line);
    if (match) found.push(match[1]!);
  }
  return found;
}
