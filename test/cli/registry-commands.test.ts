/**
 * The registry commands as functions (what main.ts calls), on every store backend, and the
 * tables they show people.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aliasCommand } from '../../src/cli/commands/alias.js';
import { auditCommand } from '../../src/cli/commands/audit.js';
import { deleteCommand } from '../../src/cli/commands/delete.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { importCommand } from '../../src/cli/commands/import.js';
import { modelsCommand } from '../../src/cli/commands/models.js';
import { packageCommand } from '../../src/cli/commands/package.js';
import { registerCommand } from '../../src/cli/commands/register.js';
import { showCommand } from '../../src/cli/commands/show.js';
import { versionsCommand } from '../../src/cli/commands/versions.js';
import { loadConfig } from '../../src/cli/load-config.js';
import { renderAudit, renderModels, renderVersionDetail, renderVersions } from '../../src/cli/registry-output.js';
import { type Config, buildConfig } from '../../src/core/config.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

describe('registry configuration', () => {
  it('takes BERTH_HOME, BERTH_DATABASE_URL, BERTH_DATABASE_SCHEMA and BERTH_DATABASE_LOCK_WAIT_MS, with flags winning', () => {
    const config = loadConfig({
      env: { BERTH_HOME: '/srv/berth', BERTH_DATABASE_URL: 'postgres://a@b/c', BERTH_DATABASE_SCHEMA: 'berth', BERTH_DATABASE_LOCK_WAIT_MS: '1500' },
      flags: { store: { databaseUrl: 'postgres://x@y/z' } },
    });
    expect(config.store).toEqual({ home: '/srv/berth', databaseUrl: 'postgres://x@y/z', databaseSchema: 'berth', databasePoolSize: 10, databaseLockWaitMs: 1500 });
    expect(buildConfig({}).store).toEqual({ home: '.berth', databasePoolSize: 10, databaseLockWaitMs: 30_000 });
    expect(() => loadConfig({ env: { BERTH_DATABASE_SCHEMA: 'Bad-Schema' } })).toThrow(/store.databaseSchema/);
  });
});

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`registry commands on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let config: Config;
    let work: string;
    beforeEach(() => {
      location = backend.create();
      config = buildConfig({ store: { home: location.home, databaseUrl: location.databaseUrl, databaseSchema: location.schema } });
      work = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    });
    afterEach(async () => {
      await location.cleanup();
    });

    it('package, register, models, versions, show: the life of a model', async () => {
      const packaged = await packageCommand({ model: ONNX_FIXTURES.batchNorm, name: 'bn', out: join(work, 'bn'), tags: { team: 'vision' } });
      expect(packaged).toMatchObject({ dir: join(work, 'bn'), name: 'bn', digest: expect.stringMatching(/^sha256:/) });
      expect(existsSync(join(work, 'bn', 'berth.json'))).toBe(true);

      const first = await registerCommand({ config, path: packaged.dir, aliases: ['production'] });
      expect(first.version).toMatchObject({ model: 'bn', version: 1, digest: packaged.digest, tags: { team: 'vision' }, aliases: ['production'] });
      const second = await registerCommand({ config, path: ONNX_FIXTURES.relu, name: 'bn', tags: { try: '2' } });
      expect(second.version.version).toBe(2);

      const models = await modelsCommand({ config });
      expect(models).toEqual([{ name: 'bn', created: expect.any(String), versions: 2, latestVersion: 2, aliases: { production: 1 } }]);
      expect(renderModels(models)).toMatch(/^MODEL\s+VERSIONS\s+LATEST\s+ALIASES\s+CREATED\nbn\s+2\s+2\s+production→1/);

      const versions = await versionsCommand({ config, model: 'bn' });
      expect(versions.map((v) => v.version)).toEqual([1, 2]);
      expect(renderVersions('bn', versions)).toContain('team=vision');

      const model = await showCommand({ config, reference: 'bn' });
      expect(model).toMatchObject({ kind: 'model', model: { name: 'bn' }, versions: [{ version: 1 }, { version: 2 }], aliases: [{ alias: 'production', version: 1 }] });
      const version = await showCommand({ config, reference: 'bn@production' });
      if (version.kind !== 'version') throw new Error('expected a version');
      expect(version.version.manifest.signature.inputs[0]).toMatchObject({ datatype: 'FP32' });
      expect(renderVersionDetail(version.version)).toMatch(/bn:1 {2}\(@production\)[\s\S]*digest {7}sha256:[\s\S]*input/);
    });

    it('alias sets, moves and removes, refusing duplicates and half-given arguments', async () => {
      await registerCommand({ config, path: ONNX_FIXTURES.relu, name: 'm' });
      await registerCommand({ config, path: ONNX_FIXTURES.sign, name: 'm' });
      expect(await aliasCommand({ config, model: 'm', alias: 'production', version: '1' })).toMatchObject({ version: 1, previous: null });
      expect(await aliasCommand({ config, model: 'm', alias: 'production', version: 2 })).toMatchObject({ version: 2, previous: 1 });
      expect(await code(aliasCommand({ config, model: 'm', alias: 'production', version: '2' }))).toBe('BERTH_REGISTRY_ALIAS_ALREADY_SET');
      expect(await code(aliasCommand({ config, model: 'm', alias: 'production' }))).toBe('BERTH_REGISTRY_REFERENCE_INVALID');
      expect(await code(aliasCommand({ config, model: 'm', alias: 'production', version: 'two' }))).toBe('BERTH_REGISTRY_REFERENCE_INVALID');
      expect(await aliasCommand({ config, model: 'm', alias: 'production', remove: true })).toMatchObject({ removed: true, version: 2 });
      expect(await code(aliasCommand({ config, model: 'm', alias: 'production', remove: true }))).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
    });

    it('delete needs model:version and --force while aliased; audit shows every step via the cli', async () => {
      await registerCommand({ config, path: ONNX_FIXTURES.relu, name: 'm', aliases: ['production'] });
      expect(await code(deleteCommand({ config, reference: 'm@production' }))).toBe('BERTH_REGISTRY_REFERENCE_INVALID');
      expect(await code(deleteCommand({ config, reference: 'm:1' }))).toBe('BERTH_REGISTRY_VERSION_IN_USE');
      expect(await deleteCommand({ config, reference: 'm:1', force: true })).toMatchObject({ deleted: { version: 1 }, aliasesRemoved: ['production'] });
      const audit = await auditCommand({ config });
      expect(audit.map((e) => e.action)).toEqual(['model.create', 'version.register', 'alias.set', 'alias.remove', 'version.delete']);
      expect(new Set(audit.map((e) => e.interface))).toEqual(new Set(['cli']));
      expect(audit[0]!.actor).toBeTruthy();
      expect(renderAudit(audit)).toContain('version.delete');
      expect((await auditCommand({ config, limit: 2 })).map((e) => e.seq)).toEqual([4, 5]);
    });

    it('export then import moves a version to another registry unchanged', async () => {
      const { version } = await registerCommand({ config, path: ONNX_FIXTURES.avgPool, name: 'pool', tags: { a: '1' } });
      const archive = join(work, 'pool.berth');
      const exported = await exportCommand({ config, reference: 'pool:1', output: archive });
      expect(exported).toMatchObject({ model: 'pool', version: 1, digest: version.digest, archive });
      expect(await code(exportCommand({ config, reference: 'pool', output: archive }))).toBe('BERTH_BUNDLE_OUTPUT_EXISTS');

      const elsewhere = buildConfig({ store: { home: join(work, 'elsewhere') } });
      const imported = await importCommand({ config: elsewhere, archive, aliases: ['staging'] });
      expect(imported.version).toMatchObject({ model: 'pool', version: 1, digest: version.digest, aliases: ['staging'] });
      expect(await code(importCommand({ config: elsewhere, archive: ONNX_FIXTURES.relu }))).toBe('BERTH_BUNDLE_ARCHIVE_INVALID');
      expect(await code(importCommand({ config: elsewhere, archive: join(work, 'none.berth') }))).toBe('BERTH_BUNDLE_NOT_FOUND');
    });

    it('writes nothing for bad input', async () => {
      writeFileSync(join(work, 'fake.onnx'), 'no model here');
      expect(await code(registerCommand({ config, path: join(work, 'fake.onnx') }))).toBe('BERTH_BUNDLE_MODEL_INVALID');
      expect(await code(registerCommand({ config, path: ONNX_FIXTURES.relu, name: 'a\u0007b' }))).toBe('BERTH_REGISTRY_NAME_INVALID');
      expect(await code(versionsCommand({ config, model: 'ghost' }))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
      expect(await modelsCommand({ config })).toEqual([]);
      expect(await auditCommand({ config })).toEqual([]);
    });
  });
}

describe('package command', () => {
  it('reads schema, metrics and lineage from JSON files and refuses broken JSON', async () => {
    const work = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    writeFileSync(join(work, 'metrics.json'), '{"accuracy": 0.97}');
    writeFileSync(join(work, 'lineage.json'), '{"data": "s3://bucket/train.csv"}');
    writeFileSync(join(work, 'broken.json'), '{');
    const result = await packageCommand({ model: ONNX_FIXTURES.relu, out: join(work, 'b'), metricsFile: join(work, 'metrics.json'), lineageFile: join(work, 'lineage.json') });
    const manifest = JSON.parse(readFileSync(join(result.dir, 'berth.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'test_single_relu_model', metrics: { accuracy: 0.97 }, lineage: { data: 's3://bucket/train.csv' } });
    expect(await code(packageCommand({ model: ONNX_FIXTURES.relu, out: join(work, 'c'), schemaFile: join(work, 'broken.json') }))).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    expect(await code(packageCommand({ model: ONNX_FIXTURES.relu, out: join(work, 'c'), schemaFile: join(work, 'missing.json') }))).toBe('BERTH_BUNDLE_NOT_FOUND');
  });
});
