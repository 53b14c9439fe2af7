/**
 * Berth's own layer: its package.json, the compiled server (dist/), the dashboard (web/dist/) and
 * its production dependencies, found by following `dependencies` and `optionalDependencies` from
 * package.json the way Node resolves them (devDependencies never come). Only the Linux x64 build
 * of a native module travels, and what only a developer or a compiler reads (sources, type
 * declarations, source maps, documentation) stays behind.
 */
import { lstat, readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Errors } from '../../core/errors.js';
import { type LayerEntry, fileEntry } from './layer-entry.js';

/** Where Berth's package lives in the image. */
export const IMAGE_APP_DIR = '/opt/berth';

/** Berth's files for the image and what the runtime must provide for them. */
export interface BerthPackageFiles {
  readonly entries: LayerEntry[];
  /** The CLI entry point inside the image. */
  readonly cliPath: string;
  /** Native modules on this machine (`.node` files) that the image will load. */
  readonly nativeModules: string[];
}

interface PackageJson {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/** Files of a package that no running server reads. */
const LEFT_OUT = /(\.d\.[cm]?ts|\.d\.ts\.map|\.[cm]?ts|\.map|\.md|\.markdown|\.tsbuildinfo)$/i;

/** What `berth export --target web | node` copies out (onnxruntime-web's 14 MB of WebAssembly): a served image never exports. */
const DIST_LEFT_OUT = /^targets\//;

/** A package's own tests and examples, and native prebuilds for platforms other than Linux x64. */
const DEPENDENCY_LEFT_OUT = /^(test|tests|__tests__|example|examples|\.github)\/|(^|\/)prebuilds\/(?!linux-x64[^/]*\/)/;

/** Per-package trimming: native module builds for other platforms, sources of compiled code. */
const TRIM: Readonly<Record<string, (path: string) => boolean>> = {
  'onnxruntime-node': (path) => !/^bin\/napi-v\d+\//.test(path) || /^bin\/napi-v\d+\/linux\/x64\//.test(path),
  'better-sqlite3': (path) => !/^(deps|src)\//.test(path) && (!path.startsWith('build/') || path === 'build/Release/better_sqlite3.node'),
};

/**
 * Lists the files of the Berth package at `root` for the image. Throws
 * BERTH_IMAGE_BUILD_FAILED when Berth is not built (no dist/) or a dependency is not installed.
 */
export async function berthPackageFiles(root: string): Promise<BerthPackageFiles> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
  // An installed Berth sits in someone's node_modules, with its dependencies beside it.
  const appRoot = dirname(root).endsWith(`${sep}node_modules`) ? dirname(dirname(root)) : root;
  const imagePath = (path: string) => `${IMAGE_APP_DIR}/${relative(appRoot, path).split(sep).join('/')}`;
  const entries: LayerEntry[] = [];
  const nativeModules: string[] = [];
  const add = async (dir: string, keep: (path: string) => boolean) => {
    for (const file of await walk(dir, keep)) {
      entries.push(fileEntry(imagePath(file.path), file.path, file.size, file.executable ? 0o755 : 0o644));
      if (file.path.endsWith('.node')) nativeModules.push(file.path);
    }
  };

  const pkgStat = await lstat(join(root, 'package.json'));
  entries.push(fileEntry(imagePath(join(root, 'package.json')), join(root, 'package.json'), pkgStat.size));
  for (const built of ['dist', join('web', 'dist')]) {
    if (!(await lstat(join(root, built)).catch(() => undefined))?.isDirectory()) {
      throw Errors.IMAGE_BUILD_FAILED.create(`Berth's ${built}/ folder is missing in ${root}; run npm run build first`);
    }
    await add(join(root, built), (path) => !LEFT_OUT.test(path) && !(built === 'dist' && DIST_LEFT_OUT.test(path)));
  }

  const seen = new Set<string>();
  const queue: { from: string; name: string; optional: boolean }[] = dependencyNames(pkg).map((d) => ({ from: root, ...d }));
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()!;
    const dir = await resolvePackage(from, name);
    if (!dir) {
      if (optional) continue;
      throw Errors.IMAGE_BUILD_FAILED.create(`the dependency ${name} (needed by ${from}) is not installed; run npm ci`);
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    if (relative(appRoot, dir).startsWith('..')) throw Errors.IMAGE_BUILD_FAILED.create(`the dependency ${name} is installed outside ${appRoot} (${dir}); install Berth with its dependencies beside it`);
    const trim = TRIM[name];
    await add(dir, (path) => !LEFT_OUT.test(path) && !DEPENDENCY_LEFT_OUT.test(path) && (trim ? trim(path) : true));
    const child = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dependency of dependencyNames(child)) queue.push({ from: dir, ...dependency });
  }
  return { entries, cliPath: imagePath(join(root, 'dist', 'cli', 'main.js')), nativeModules };
}

function dependencyNames(pkg: PackageJson): { name: string; optional: boolean }[] {
  const optional = Object.keys(pkg.optionalDependencies ?? {});
  const required = Object.keys(pkg.dependencies ?? {}).filter((name) => !optional.includes(name));
  return [...required.map((name) => ({ name, optional: false })), ...optional.map((name) => ({ name, optional: true }))];
}

/** The folder Node would load `name` from when required from `from`, as its resolver looks upward. */
async function resolvePackage(from: string, name: string): Promise<string | undefined> {
  for (let dir = from; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, 'node_modules', name);
      if ((await lstat(join(candidate, 'package.json')).catch(() => undefined))?.isFile()) return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

interface FoundFile {
  readonly path: string;
  readonly size: number;
  readonly executable: boolean;
}

/** Regular files under `dir`, skipping nested node_modules (dependencies are found by name), links and what `keep` refuses. */
async function walk(dir: string, keep: (relativePath: string) => boolean): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const visit = async (current: string) => {
    for (const name of (await readdir(current)).sort()) {
      const path = join(current, name);
      const s = await lstat(path);
      const rel = relative(dir, path).split(sep).join('/');
      if (s.isDirectory()) {
        if (name !== 'node_modules' && name !== '.bin') await visit(path);
      } else if (s.isFile() && keep(rel)) {
        found.push({ path, size: s.size, executable: (s.mode & 0o111) !== 0 });
      }
    }
  };
  await visit(dir);
  return found;
}
