/**
 * The registry's contract, run against every metadata-store backend (hono's habit: one suite,
 * every implementation): SQLite files in temporary folders, and PostgreSQL in a schema of its
 * own when BERTH_TEST_POSTGRES_URL is set.
 */
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import { type Registry, exportBundle, openRegistry, packageModel } from '../../src/registry/index.js';
import { FileBlobStore } from '../../src/store/index.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`registry on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let registry: Registry;
    const open = (actor = { interface: 'test', actor: 'vitest' }) =>
      openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, blobGraceMs: 0, actor });
    const blobs = () => new FileBlobStore(join(location.home, 'blobs'));
    const blobCount = async () => {
      let n = 0;
      for await (const _ of blobs().list()) n++;
      return n;
    };

    beforeEach(async () => {
      location = backend.create();
      registry = await open();
    });
    afterEach(async () => {
      await registry.close();
      await location.cleanup();
    });

    describe('register', () => {
      it('numbers versions 1, 2, 3 per model and records digest, size, source and tags', async () => {
        const a = await registry.register(ONNX_FIXTURES.relu, { name: 'm', tags: { stage: 'dev' } });
        const b = await registry.register(ONNX_FIXTURES.sign, { name: 'm' });
        const c = await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
        const other = await registry.register(ONNX_FIXTURES.avgPool, { name: 'other' });
        expect([a, b, c, other].map((r) => [r.version.model, r.version.version, r.created])).toEqual([
          ['m', 1, true],
          ['m', 2, true],
          ['m', 3, true],
          ['other', 1, true],
        ]);
        expect(a.version).toMatchObject({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), tags: { stage: 'dev' }, source: `file:${ONNX_FIXTURES.relu}`, aliases: [] });
        expect(a.version.size).toBeGreaterThan(readFileSync(ONNX_FIXTURES.relu).length);
        expect(a.version.manifest.signature.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [1, 2] }]);
        expect(a.version.files).toEqual([{ path: 'model.onnx', digest: expect.any(String), size: readFileSync(ONNX_FIXTURES.relu).length }]);
        expect(Date.parse(a.version.created)).not.toBeNaN();
      });

      it('returns the existing version for a digest the model already has', async () => {
        const first = await registry.register(ONNX_FIXTURES.relu, { name: 'm' });
        const again = await registry.register(ONNX_FIXTURES.relu, { name: 'm' });
        expect(again.created).toBe(false);
        expect(again.version.version).toBe(1);
        expect(again.version.digest).toBe(first.version.digest);
        expect(await registry.listVersions('m')).toHaveLength(1);
        // Under another name a plain .onnx file makes another bundle (the name is in the
        // manifest), but its model file is the same blob.
        const renamed = await registry.register(ONNX_FIXTURES.relu, { name: 'n' });
        expect(renamed.version).toMatchObject({ model: 'n', version: 1 });
        expect(renamed.version.digest).not.toBe(first.version.digest);
        expect(renamed.version.files[0]!.digest).toBe(first.version.files[0]!.digest);
        expect(await blobCount()).toBe(1);
      });

      it('registers bundle folders and .berth archives, keeping their digest', async () => {
        const bundle = await packageModel(ONNX_FIXTURES.batchNorm, { outDir: join(location.home, 'work', 'bn'), name: 'bn', description: 'batch norm' });
        const fromDir = await registry.register(bundle.dir);
        expect(fromDir.version).toMatchObject({ model: 'bn', version: 1, digest: bundle.digest, source: `bundle:${bundle.dir}` });
        expect(fromDir.version.manifest.description).toBe('batch norm');
        await exportBundle(bundle.dir, join(location.home, 'work', 'bn.berth'));
        const fromArchive = await registry.register(join(location.home, 'work', 'bn.berth'), { name: 'bn-copy' });
        expect(fromArchive.version).toMatchObject({ model: 'bn-copy', version: 1, digest: bundle.digest });
        expect((await registry.register(join(location.home, 'work', 'bn.berth'))).created).toBe(false);
      });

      it('sets aliases in the same step, and again harmlessly when re-run', async () => {
        const result = await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['staging', 'production'] });
        expect(result.aliasesSet).toEqual(['staging', 'production']);
        expect(result.version.aliases).toEqual(['production', 'staging']);
        const rerun = await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['staging', 'production'] });
        expect(rerun).toMatchObject({ created: false, aliasesSet: [] });
      });

      it('writes nothing for bad input', async () => {
        const garbage = join(location.home, 'garbage.onnx');
        writeFileSync(garbage, 'not a model at all');
        expect(await code(registry.register(garbage, { name: 'm' }))).toBe('BERTH_BUNDLE_MODEL_INVALID');
        expect(await code(registry.register(join(location.home, 'missing.onnx')))).toBe('BERTH_BUNDLE_NOT_FOUND');
        expect(await code(registry.register(ONNX_FIXTURES.relu, { name: 'bad/name' }))).toBe('BERTH_REGISTRY_NAME_INVALID');
        expect(await code(registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['bad alias'] }))).toBe('BERTH_REGISTRY_NAME_INVALID');
        const bundle = await packageModel(ONNX_FIXTURES.sign, { outDir: join(location.home, 'work', 'b'), name: 'b' });
        const model = join(bundle.dir, 'model.onnx');
        chmodSync(model, 0o644);
        writeFileSync(model, readFileSync(ONNX_FIXTURES.relu));
        expect(await code(registry.register(bundle.dir))).toBe('BERTH_BUNDLE_FILE_CORRUPT');
        expect(await registry.listModels()).toEqual([]);
        expect(await registry.changeSequence()).toBe(0);
        expect(await blobCount()).toBe(0);
      });

      it('refuses a bundle whose manifest signature was forged consistently', async () => {
        const bundle = await packageModel(ONNX_FIXTURES.relu, { outDir: join(location.home, 'work', 'b'), name: 'b' });
        const path = join(bundle.dir, 'berth.json');
        const manifest = JSON.parse(readFileSync(path, 'utf8')) as { signature: { inputs: { shape: number[] }[] } };
        manifest.signature.inputs[0]!.shape = [-1, 2];
        chmodSync(path, 0o644);
        writeFileSync(path, JSON.stringify(manifest));
        expect(await code(registry.register(bundle.dir))).toBe('BERTH_BUNDLE_SIGNATURE_MISMATCH');
      });

      it('never reuses the number of a deleted version', async () => {
        await registry.register(ONNX_FIXTURES.relu, { name: 'm' });
        await registry.register(ONNX_FIXTURES.sign, { name: 'm' });
        await registry.deleteVersion('m', 2);
        expect((await registry.register(ONNX_FIXTURES.shrink, { name: 'm' })).version.version).toBe(3);
        expect((await registry.register(ONNX_FIXTURES.sign, { name: 'm' })).version.version).toBe(4);
      });

      it('numbers concurrent registrations without gaps or duplicates', async () => {
        const fixtures = [ONNX_FIXTURES.relu, ONNX_FIXTURES.sign, ONNX_FIXTURES.shrink, ONNX_FIXTURES.avgPool, ONNX_FIXTURES.batchNorm];
        const second = await open();
        try {
          const results = await Promise.all(fixtures.map((f, i) => (i % 2 ? second : registry).register(f, { name: 'm', aliases: ['latest-upload'] })));
          expect(results.map((r) => r.version.version).sort()).toEqual([1, 2, 3, 4, 5]);
          const audit = await registry.auditLog();
          expect(audit.map((e) => e.seq)).toEqual(audit.map((_, i) => i + 1));
        } finally {
          await second.close();
        }
      });
    });

    describe('reading', () => {
      beforeEach(async () => {
        await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
        await registry.register(ONNX_FIXTURES.sign, { name: 'm', aliases: ['staging'] });
        await registry.register(ONNX_FIXTURES.avgPool, { name: 'a' });
      });

      it('lists models with counts, latest version and aliases', async () => {
        expect(await registry.listModels()).toEqual([
          { name: 'a', created: expect.any(String), versions: 1, latestVersion: 1, aliases: {} },
          { name: 'm', created: expect.any(String), versions: 2, latestVersion: 2, aliases: { production: 1, staging: 2 } },
        ]);
        expect((await registry.getModel('m')).versions).toBe(2);
        expect(await code(registry.getModel('nope'))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
      });

      it('lists versions oldest first with their aliases', async () => {
        expect((await registry.listVersions('m')).map((v) => [v.version, v.aliases])).toEqual([
          [1, ['production']],
          [2, ['staging']],
        ]);
        expect(await code(registry.listVersions('nope'))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
      });

      it('resolves model, model:version and model@alias', async () => {
        // A plain name means production, else the latest version (core/model-ref.ts).
        expect((await registry.resolve('m')).version).toBe(1);
        expect((await registry.resolve({ model: 'm', kind: 'default' })).version).toBe(1);
        expect((await registry.resolve('a')).version).toBe(1);
        await registry.register(ONNX_FIXTURES.sign, { name: 'a' });
        expect((await registry.resolve('a')).version).toBe(2);
        expect((await registry.resolve('m:1')).version).toBe(1);
        expect((await registry.resolve('m@production')).version).toBe(1);
        expect((await registry.resolve({ model: 'm', kind: 'alias', alias: 'staging' })).version).toBe(2);
        expect(await code(registry.resolve('m:9'))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
        expect(await code(registry.resolve('m@canary'))).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
        expect(await code(registry.resolve('nope@production'))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
        expect(await code(registry.resolve('m:x'))).toBe('BERTH_REGISTRY_REFERENCE_INVALID');
      });

      it('lists the aliases of every model for a server to follow', async () => {
        await registry.setAlias('a', 'production', 1);
        const aliases = await registry.listAliases();
        expect(aliases.map((a) => `${a.model}@${a.alias}=${a.version}`)).toEqual(['a@production=1', 'm@production=1', 'm@staging=2']);
        expect(aliases[0]!.digest).toBe((await registry.resolve('a:1')).digest);
      });
    });

    describe('aliases', () => {
      beforeEach(async () => {
        await registry.register(ONNX_FIXTURES.relu, { name: 'm' });
        await registry.register(ONNX_FIXTURES.sign, { name: 'm' });
      });

      it('are created, moved and removed, each step reported', async () => {
        expect(await registry.setAlias('m', 'production', 1)).toMatchObject({ version: 1, previous: null });
        expect(await registry.setAlias('m', 'production', 2)).toMatchObject({ version: 2, previous: 1 });
        expect((await registry.resolve('m@production')).version).toBe(2);
        expect(await registry.removeAlias('m', 'production')).toMatchObject({ alias: 'production', version: 2 });
        expect(await registry.listAliases('m')).toEqual([]);
      });

      it('refuse a duplicate operation and unknown targets', async () => {
        await registry.setAlias('m', 'production', 1);
        const sequence = await registry.changeSequence();
        const error = await registry.setAlias('m', 'production', 1).catch((e: unknown) => e);
        expect(Errors.REGISTRY_ALIAS_ALREADY_SET.is(error)).toBe(true);
        expect((error as Error).message).toContain('already points at version 1');
        expect(await registry.changeSequence()).toBe(sequence);
        expect(await code(registry.removeAlias('m', 'staging'))).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
        expect(await code(registry.setAlias('m', 'staging', 7))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
        expect(await code(registry.setAlias('nope', 'staging', 1))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
        expect(await code(registry.setAlias('m', '12', 1))).toBe('BERTH_REGISTRY_NAME_INVALID');
        expect(await code(registry.setAlias('m', 'a/b', 1))).toBe('BERTH_REGISTRY_NAME_INVALID');
      });
    });

    describe('delete', () => {
      it('is refused while an alias points at the version, unless forced', async () => {
        await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production', 'canary'] });
        const error = await registry.deleteVersion('m', 1).catch((e: unknown) => e);
        expect(Errors.REGISTRY_VERSION_IN_USE.is(error)).toBe(true);
        expect((error as Error).message).toContain("'canary', 'production'");
        expect(await registry.listVersions('m')).toHaveLength(1);
        const forced = await registry.deleteVersion('m', 1, { force: true });
        expect(forced.aliasesRemoved).toEqual(['canary', 'production']);
        expect(await registry.listAliases()).toEqual([]);
        expect(await code(registry.resolve('m:1'))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
        expect(await code(registry.deleteVersion('m', 1))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
        expect(await code(registry.deleteVersion('nope', 1))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
      });

      it('keeps a version\'s training data and validation file as two roles, and removes both blobs with it', async () => {
        await registry.register(ONNX_FIXTURES.relu, { name: 'm' });
        const training = join(location.home, 'train.csv');
        const validation = join(location.home, 'valid.csv');
        writeFileSync(training, 'x,y\n1,0\n2,1\n3,0\n');
        writeFileSync(validation, 'x,y\n4,1\n');
        const kept = await registry.keepTrainingData('m', 1, { file: training, rows: 3, source: 'test' });
        const held = await registry.keepTrainingData('m', 1, { role: 'validation', file: validation, rows: 1, source: 'test' });
        expect(await registry.keptTrainingData('m', 1)).toMatchObject({ role: 'training', digest: kept.digest, rows: 3 });
        expect(await registry.keptValidationData('m', 1)).toMatchObject({ role: 'validation', digest: held.digest, rows: 1 });
        expect(held.digest).not.toBe(kept.digest);
        expect(await blobCount()).toBe(3);
        expect((await registry.deleteVersion('m', 1)).blobsRemoved).toBe(3);
        expect(await registry.keptValidationData('m', 1)).toBeUndefined();
        expect(await blobCount()).toBe(0);
      });

      it('removes blobs no other version uses, and keeps shared ones', async () => {
        const shared = await registry.register(ONNX_FIXTURES.relu, { name: 'a' });
        const sharing = await registry.register(ONNX_FIXTURES.relu, { name: 'b' });
        const own = await registry.register(ONNX_FIXTURES.sign, { name: 'a' });
        await registry.openBundle('a:2');
        expect(await blobCount()).toBe(2);
        expect((await registry.deleteVersion('a', 1)).blobsRemoved).toBe(0);
        expect(await blobs().stat(shared.version.files[0]!.digest)).toBeDefined();
        expect((await registry.deleteVersion('a', 2)).blobsRemoved).toBe(1);
        expect(await blobs().stat(own.version.files[0]!.digest)).toBeUndefined();
        expect(existsSync(join(location.home, 'bundles', own.version.digest.slice(7)))).toBe(false);
        expect((await registry.openBundle('b:1')).bundle.digest).toBe(sharing.version.digest);
      });

      it('leaves blobs touched within the grace period to garbage collection', async () => {
        const patient = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, blobGraceMs: 60_000 });
        try {
          await patient.register(ONNX_FIXTURES.relu, { name: 'm' });
          expect((await patient.deleteVersion('m', 1)).blobsRemoved).toBe(0);
          expect(await patient.collectGarbage()).toMatchObject({ blobsRemoved: 0 });
          expect(await patient.collectGarbage({ graceMs: 0 })).toMatchObject({ blobsRemoved: 1 });
          expect(await blobCount()).toBe(0);
        } finally {
          await patient.close();
        }
      });
    });

    describe('bundles on disk', () => {
      it('unpacks a version from its blobs into a verified bundle', async () => {
        const { version } = await registry.register(ONNX_FIXTURES.batchNorm, { name: 'bn', aliases: ['production'] });
        const opened = await registry.openBundle('bn@production');
        expect(opened.version.version).toBe(1);
        expect(opened.bundle.digest).toBe(version.digest);
        expect(opened.bundle.dir).toBe(join(location.home, 'bundles', version.digest.slice('sha256:'.length)));
        expect(readFileSync(opened.bundle.modelPath)).toEqual(readFileSync(ONNX_FIXTURES.batchNorm));
        expect(readdirSync(opened.bundle.dir).sort()).toEqual(['berth.json', 'model.onnx']);
        expect((await registry.openBundle('bn:1')).bundle.dir).toBe(opened.bundle.dir);
      });

      it('rebuilds a damaged unpacked copy from the blobs', async () => {
        await registry.register(ONNX_FIXTURES.batchNorm, { name: 'bn' });
        const { bundle } = await registry.openBundle('bn:1');
        chmodSync(bundle.modelPath, 0o644);
        writeFileSync(bundle.modelPath, 'tampered');
        const again = await registry.openBundle('bn:1');
        expect(readFileSync(again.bundle.modelPath)).toEqual(readFileSync(ONNX_FIXTURES.batchNorm));
        rmSync(bundle.dir, { recursive: true, force: true });
        expect((await registry.openBundle('bn:1')).bundle.digest).toBe(again.bundle.digest);
      });

      it('refuses a damaged or missing blob', async () => {
        const { version } = await registry.register(ONNX_FIXTURES.batchNorm, { name: 'bn' });
        const blobPath = blobs().pathOf(version.files[0]!.digest);
        const original = readFileSync(blobPath);
        chmodSync(blobPath, 0o644);
        writeFileSync(blobPath, original.subarray(0, 50));
        expect(await code(registry.openBundle('bn:1'))).toBe('BERTH_STORE_BLOB_CORRUPT');
        rmSync(blobPath);
        expect(await code(registry.openBundle('bn:1'))).toBe('BERTH_STORE_BLOB_MISSING');
        // Registering the same bundle again puts the blob back.
        expect((await registry.register(ONNX_FIXTURES.batchNorm, { name: 'bn' })).created).toBe(false);
        expect(readFileSync(blobPath)).toEqual(original);
        expect((await registry.openBundle('bn:1')).bundle.digest).toBe(version.digest);
      });

      it('exports a version as an archive that imports elsewhere with the same digest', async () => {
        const { version } = await registry.register(ONNX_FIXTURES.shrink, { name: 's', tags: { t: '1' } });
        const out = await registry.exportVersion('s', join(location.home, 's.berth'));
        expect(out.version.version).toBe(1);
        expect(out.bytes).toBeGreaterThan(0);
        const imported = await registry.register(out.archive, { name: 's2' });
        expect(imported.version.digest).toBe(version.digest);
        expect(await code(registry.exportVersion('s:1', join(location.home, 's.berth')))).toBe('BERTH_BUNDLE_OUTPUT_EXISTS');
      });
    });

    describe('changes', () => {
      it('audit every change with its interface and actor, in commit order', async () => {
        expect(await registry.changeSequence()).toBe(0);
        await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
        await registry.register(ONNX_FIXTURES.sign, { name: 'm', actor: { interface: 'api', actor: 'token:ci' } });
        await registry.setAlias('m', 'production', 2);
        await registry.deleteVersion('m', 1);
        await registry.removeAlias('m', 'production');
        const entries = await registry.auditLog();
        expect(entries.map((e) => [e.seq, e.action, e.model, e.version, e.alias, e.interface])).toEqual([
          [1, 'model.create', 'm', null, null, 'test'],
          [2, 'version.register', 'm', 1, null, 'test'],
          [3, 'alias.set', 'm', 1, 'production', 'test'],
          [4, 'version.register', 'm', 2, null, 'api'],
          [5, 'alias.set', 'm', 2, 'production', 'test'],
          [6, 'version.delete', 'm', 1, null, 'test'],
          [7, 'alias.remove', 'm', 2, 'production', 'test'],
        ]);
        expect(entries[3]!.actor).toBe('token:ci');
        expect(entries[4]!.details).toEqual({ previous: 1 });
        expect(entries[1]!.details).toMatchObject({ digest: expect.stringMatching(/^sha256:/), source: `file:${ONNX_FIXTURES.relu}` });
        expect(await registry.changeSequence()).toBe(7);
        expect((await registry.auditLog({ after: 5 })).map((e) => e.seq)).toEqual([6, 7]);
        expect((await registry.auditLog({ order: 'desc', limit: 2 })).map((e) => e.seq)).toEqual([7, 6]);
      });

      it('are seen by another registry on the same database', async () => {
        const watcher = await open();
        try {
          const seen = await watcher.changeSequence();
          await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
          expect(await watcher.changeSequence()).toBeGreaterThan(seen);
          const news = await watcher.auditLog({ after: seen });
          expect(news.filter((e) => e.action === 'alias.set').map((e) => `${e.model}@${e.alias}=${e.version}`)).toEqual(['m@production=1']);
          expect((await watcher.openBundle('m@production')).version.version).toBe(1);
        } finally {
          await watcher.close();
        }
      });
    });

    it('refuses use after close', async () => {
      const other = await open();
      await other.close();
      await other.close();
      await expect(other.listModels()).rejects.toThrow(/closed/);
    });
  });
}
