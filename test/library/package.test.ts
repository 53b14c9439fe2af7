/**
 * The package as a user gets it: `npm pack` of this repository, installed into a scratch project,
 * then the example of examples/library run there with plain `node` (`import { loadModel } from
 * 'berth'` resolved through the exports map), its types checked by TypeScript from the installed
 * `.d.ts`, and the CLI still answering as `berth`.
 *
 * The install is offline, from npm's cache: the scratch project's lock file pins the tarball and
 * Berth's own production dependencies exactly as this repository's package-lock.json does (what
 * `npm ci` after `npm ci` here has cached). Install scripts are skipped: better-sqlite3's fetches a
 * prebuilt binary from GitHub, which an offline machine cannot reach, and the example opens no
 * database.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../dist/index.js';
import { tempDir } from '../helpers/models.js';
import { trainBundle } from '../helpers/trained.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const TYPESCRIPT = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface LockEntry {
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly [key: string]: unknown;
}

/** A lock file for a project depending on `tarball`, with Berth's production dependencies as this repository locks them. */
function scratchLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const berth = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'scratch', dependencies: { berth: `file:${tarball}` } },
    'node_modules/berth': { version: berth.version, resolved: `file:${tarball}`, dependencies: berth.dependencies, bin: berth.bin, engines: berth.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.link) packages[path] = entry;
  }
  return { name: 'scratch', lockfileVersion: 3, requires: true, packages };
}

let project: string;
let bundle: string;

beforeAll(async () => {
  const dir = tempDir('berth-package-');
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const { filename } = (JSON.parse(packed.stdout) as { filename: string }[])[0]!;
  project = join(dir, 'app');
  cpSync(join(ROOT, 'examples', 'library'), project, { recursive: true });
  const tarball = join(dir, filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies: { berth: `file:${tarball}` } }));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(scratchLock(tarball)));
  await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, maxBuffer: 64 * 1024 * 1024 });
  bundle = await trainBundle('loans_reference.csv', 'defaulted', 'loans');
}, 240_000);

describe('npm pack, installed into a scratch project', () => {
  it('runs the library example with plain node and answers what the library here answers', async () => {
    const { stdout } = await run(process.execPath, ['predict.mjs', bundle], { cwd: project });
    const [heading, json] = stdout.trim().split('\n');
    expect(heading).toBe('loans version 1: 9 features');
    const predictions = JSON.parse(json!) as { label: string; probabilities: Record<string, number> }[];
    expect(predictions).toHaveLength(2);
    // The two rows examples/library/predict.mjs sends, through this repository's build.
    const rows = [
      { age: 45, annual_income: 42600, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 },
      { age: 23, annual_income: 18000, employment: 'student', region: 'capital', loan_amount: 30000, term_months: 60, credit_score: 540, open_accounts: 1, has_mortgage: 0 },
    ];
    expect(readFileSync(join(project, 'predict.mjs'), 'utf8')).toContain("{ age: 23, annual_income: 18000, employment: 'student'");
    const model = await loadModel(bundle);
    try {
      expect(predictions).toEqual((await model.predict(rows)).predictions);
    } finally {
      await model.close();
    }
  });

  it('types the library from the installed .d.ts through the exports map', async () => {
    writeFileSync(
      join(project, 'typed.ts'),
      [
        "import { type LoadedModel, type PredictResult, BerthError, loadModel } from 'berth';",
        "const model: LoadedModel = await loadModel({ registry: '.berth', ref: 'loans@production' }, { monitor: true });",
        'const result: PredictResult = await model.predict([{ age: 41 }]);',
        'const first = result.predictions[0];',
        "const label: string | undefined = first !== undefined && 'label' in first ? first.label : undefined;",
        'console.log(label, model.schema?.features.length, model.signature.inputs[0]?.datatype, BerthError.name);',
        '// @ts-expect-error predict takes an array of records',
        'await model.predict({ age: 41 });',
      ].join('\n'),
    );
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types')];
    const result = await run(process.execPath, [TYPESCRIPT, ...options, 'typed.ts'], { cwd: project }).catch((error: { stdout: string }) => error);
    expect('stdout' in result ? result.stdout : '').toBe('');
  });

  it('keeps the berth command', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'berth'), ['--version'], { cwd: project });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
