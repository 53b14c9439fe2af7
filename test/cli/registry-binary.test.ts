/**
 * The registry commands as a user runs them: the built `berth` binary (dist/, made by
 * `npm run build`, which `npm test` runs first), exit codes, tables and --json.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../helpers/cli.js';
import { ONNX_FIXTURES, POSTGRES_SKIP_REASON, POSTGRES_URL, dropSchema, uniqueSchema } from '../helpers/store-backends.js';

const work = mkdtempSync(join(tmpdir(), 'berth-cli-bin-'));
const home = join(work, 'home');
const berth = (args: readonly string[], env: Record<string, string> = {}) => runBerth([...args], { BERTH_HOME: home, ...env });

describe('berth registry commands (built binary)', () => {
  it('--help lists every registry command', async () => {
    const { code, stdout } = await runBerth(['--help']);
    expect(code).toBe(0);
    for (const command of ['package', 'register', 'models', 'versions', 'alias', 'show', 'delete', 'export', 'import', 'audit']) expect(stdout).toContain(command);
  });

  it('register prints the version; versions --json prints an array of versions', async () => {
    const first = await berth(['register', ONNX_FIXTURES.relu, '--name', 'digits', '--alias', 'production', '--tag', 'team=vision']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Registered digits version 1 \(sha256:[0-9a-f]{12}, \d+ B\); @production → 1\n$/);
    const second = await berth(['register', ONNX_FIXTURES.sign, '--name', 'digits']);
    expect(second.stdout).toMatch(/^Registered digits version 2 /);
    const again = await berth(['register', ONNX_FIXTURES.sign, '--name', 'digits']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('digits version 2 already holds this bundle');

    const { code, stdout } = await berth(['versions', 'digits', '--json']);
    expect(code).toBe(0);
    const versions = JSON.parse(stdout) as { version: number; aliases: string[]; tags: Record<string, string> }[];
    expect(versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, ['production']],
      [2, []],
    ]);
    expect(versions[0]!.tags).toEqual({ team: 'vision' });

    const table = await berth(['models']);
    expect(table.stdout).toMatch(/MODEL\s+VERSIONS\s+LATEST\s+ALIASES/);
    expect(table.stdout).toMatch(/digits\s+2\s+2\s+production→1/);
  });

  it('moves aliases, refuses duplicates and protected deletes with exit code 1', async () => {
    const moved = await berth(['alias', 'digits', 'production', '2']);
    expect(moved).toMatchObject({ code: 0, stdout: 'digits@production → version 2 (was 1)\n' });
    const duplicate = await berth(['alias', 'digits', 'production', '2']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('[BERTH_REGISTRY_ALIAS_ALREADY_SET]');
    const refused = await berth(['delete', 'digits:2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[BERTH_REGISTRY_VERSION_IN_USE]');
    const shown = await berth(['show', 'digits@production']);
    expect(shown.stdout).toMatch(/^digits:2 {2}\(@production\)/);
    const forced = await berth(['delete', 'digits:2', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ deleted: { model: 'digits', version: 2 }, aliasesRemoved: ['production'] });
  });

  it('refuses bad input with a clear message and writes nothing', async () => {
    const garbage = join(work, 'garbage.onnx');
    writeFileSync(garbage, 'not an onnx model');
    const before = (await berth(['audit', '--json'])).stdout;
    const notOnnx = await berth(['register', garbage, '--name', 'g']);
    expect(notOnnx.code).toBe(1);
    expect(notOnnx.stderr).toContain(garbage);
    expect(notOnnx.stderr).toContain('[BERTH_BUNDLE_MODEL_INVALID]');
    const badName = await berth(['register', ONNX_FIXTURES.relu, '--name', '../../etc']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('path separator');
    const bundle = join(work, 'unbounded-bundle');
    expect((await berth(['package', ONNX_FIXTURES.relu, '--name', 'unbounded', '-o', bundle])).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(bundle, 'berth.json'), 'utf8')) as Record<string, unknown>;
    chmodSync(join(bundle, 'berth.json'), 0o644);
    writeFileSync(join(bundle, 'berth.json'), JSON.stringify({ ...manifest, serving: { batching: { maxQueue: 1e12 } } }));
    const unbounded = await berth(['register', bundle]);
    expect(unbounded.code).toBe(1);
    expect(unbounded.stderr).toContain('[BERTH_BUNDLE_MANIFEST_INVALID]');
    expect(unbounded.stderr).toContain('serving.batching.maxQueue');
    const unknown = await berth(['show', 'ghost:1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[BERTH_REGISTRY_MODEL_NOT_FOUND]');
    expect((await berth(['audit', '--json'])).stdout).toBe(before);
  });

  it('packages, exports and imports between two homes', async () => {
    const packaged = await berth(['package', ONNX_FIXTURES.avgPool, '--name', 'pool', '-o', join(work, 'pool-bundle'), '--json']);
    expect(packaged.code).toBe(0);
    const { digest } = JSON.parse(packaged.stdout) as { digest: string };
    expect((await berth(['register', join(work, 'pool-bundle')])).code).toBe(0);
    const exported = await berth(['export', 'pool', '-o', join(work, 'pool.berth'), '--json']);
    expect(JSON.parse(exported.stdout)).toMatchObject({ model: 'pool', version: 1, digest });
    const imported = await runBerth(['import', join(work, 'pool.berth'), '--home', join(work, 'other-home'), '--alias', 'staging', '--json']);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: true, version: { model: 'pool', version: 1, digest, aliases: ['staging'] } });
  });
});

describe.skipIf(!POSTGRES_URL)(`berth registry commands on PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`, () => {
  const schema = uniqueSchema();
  const env = () => ({ BERTH_HOME: join(work, 'pg-home'), BERTH_DATABASE_URL: POSTGRES_URL!, BERTH_DATABASE_SCHEMA: schema });
  beforeAll(() => undefined);
  afterAll(async () => {
    if (POSTGRES_URL) await dropSchema(POSTGRES_URL, schema);
  });

  it('uses BERTH_DATABASE_URL and shares the registry between homes', async () => {
    const registered = await runBerth(['register', ONNX_FIXTURES.relu, '--name', 'pg-model', '--alias', 'production'], env());
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    // Another machine: its own home, the same database (and, in production, the same blob store).
    const other = await runBerth(['models', '--json', '--home', join(work, 'pg-elsewhere')], env());
    expect(JSON.parse(other.stdout)).toEqual([expect.objectContaining({ name: 'pg-model', aliases: { production: 1 } })]);
  });
});
