/**
 * Bundles: packaging an ONNX file, the digest, verification on every load (tampered, truncated,
 * missing, unsafe), and the .berth archive both ways.
 */
import { chmodSync, closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { beforeEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import type { FeatureSchema } from '../../src/core/feature-schema.js';
import { exportBundle, importBundle, loadBundle, packageModel } from '../../src/registry/index.js';
import { ONNX_FIXTURES } from '../helpers/store-backends.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-bundle-'));
});

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

function editManifest(bundleDir: string, edit: (manifest: Record<string, unknown>) => void): void {
  const path = join(bundleDir, 'berth.json');
  chmodSync(path, 0o644);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(path, JSON.stringify(manifest));
}

describe('packageModel', () => {
  it('writes berth.json and model.onnx with the signature read from the file', async () => {
    const out = join(dir, 'relu');
    const bundle = await packageModel(ONNX_FIXTURES.relu, { outDir: out, name: 'relu', description: 'a ReLU', tags: { team: 'core' }, metrics: { accuracy: 1 } });
    expect(readdirSync(out).sort()).toEqual(['berth.json', 'model.onnx']);
    expect(readFileSync(join(out, 'model.onnx'))).toEqual(readFileSync(ONNX_FIXTURES.relu));
    const manifest = JSON.parse(readFileSync(join(out, 'berth.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      formatVersion: 1,
      name: 'relu',
      description: 'a ReLU',
      model: { file: 'model.onnx', irVersion: expect.any(Number), opsets: expect.any(Array) },
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }] },
      tags: { team: 'core' },
      metrics: { accuracy: 1 },
      files: [{ path: 'model.onnx', sha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), size: readFileSync(ONNX_FIXTURES.relu).length }],
    });
    expect(Date.parse(manifest.created as string)).not.toBeNaN();
    expect(bundle.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await loadBundle(out)).digest).toBe(bundle.digest);
  });

  it('names the bundle after the file by default', async () => {
    const bundle = await packageModel(ONNX_FIXTURES.avgPool, { outDir: join(dir, 'b') });
    expect(bundle.manifest.name).toBe('test_AvgPool2d');
  });

  it('gives the same digest to the same model packaged twice, and another for other content', async () => {
    const a = await packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'a'), name: 'm', created: new Date('2020-01-01T00:00:00Z') });
    const b = await packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'b'), name: 'm', created: new Date('2024-06-01T00:00:00Z') });
    expect(a.manifestText).not.toBe(b.manifestText);
    expect(a.digest).toBe(b.digest);
    const tagged = await packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'c'), name: 'm', tags: { x: '1' } });
    const other = await packageModel(ONNX_FIXTURES.sign, { outDir: join(dir, 'd'), name: 'm' });
    expect(new Set([a.digest, tagged.digest, other.digest]).size).toBe(3);
  });

  it('carries a valid schema, pipeline and extra files, and refuses an invalid schema', async () => {
    const schema: FeatureSchema = { format: 'berth.schema/v1', features: [{ name: 'a', type: 'number', required: true, outOfRange: 'accept' }] };
    writeFileSync(join(dir, 'profile.json'), '{"rows": 10}');
    const bundle = await packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'ok'), name: 'm', schema, files: { 'extra/profile.json': join(dir, 'profile.json') } });
    expect(bundle.manifest.schema).toEqual(schema);
    expect(bundle.manifest.files.map((f) => f.path)).toEqual(['extra/profile.json', 'model.onnx']);
    expect((await loadBundle(bundle.dir)).digest).toBe(bundle.digest);
    const bad = { format: 'berth.schema/v1', features: [] } as unknown as FeatureSchema;
    expect(await code(packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'bad'), name: 'm', schema: bad }))).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('refuses bad input clearly and leaves nothing behind', async () => {
    writeFileSync(join(dir, 'not.onnx'), 'plain text, not a model');
    mkdirSync(join(dir, 'full'));
    writeFileSync(join(dir, 'full', 'x'), '');
    expect(await code(packageModel(join(dir, 'missing.onnx'), { outDir: join(dir, 'o1') }))).toBe('BERTH_BUNDLE_NOT_FOUND');
    expect(await code(packageModel(join(dir, 'not.onnx'), { outDir: join(dir, 'o2') }))).toBe('BERTH_BUNDLE_MODEL_INVALID');
    expect(await code(packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'o3'), name: '../escape' }))).toBe('BERTH_REGISTRY_NAME_INVALID');
    expect(await code(packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'full') }))).toBe('BERTH_BUNDLE_OUTPUT_EXISTS');
    expect(await code(packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'o4'), files: { '../x': ONNX_FIXTURES.sign } }))).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    expect(readdirSync(dir).sort()).toEqual(['full', 'not.onnx']);
  });

  it('packages into an existing empty folder', async () => {
    mkdirSync(join(dir, 'empty'));
    const bundle = await packageModel(ONNX_FIXTURES.relu, { outDir: join(dir, 'empty') });
    expect(readdirSync(bundle.dir).sort()).toEqual(['berth.json', 'model.onnx']);
  });
});

describe('loadBundle verifies every load', () => {
  let bundleDir: string;
  let digest: string;
  beforeEach(async () => {
    bundleDir = join(dir, 'b');
    ({ digest } = await packageModel(ONNX_FIXTURES.batchNorm, { outDir: bundleDir, name: 'bn' }));
  });

  it('accepts the bundle as made', async () => {
    const bundle = await loadBundle(bundleDir, { expectedDigest: digest });
    expect(bundle.modelPath).toBe(join(bundleDir, 'model.onnx'));
    expect(bundle.size).toBe(readFileSync(join(bundleDir, 'model.onnx')).length + readFileSync(join(bundleDir, 'berth.json')).length);
  });

  it('refuses a model file with one byte changed', async () => {
    const path = join(bundleDir, 'model.onnx');
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1);
    writeFileSync(path, bytes);
    const error = await loadBundle(bundleDir).catch((e: unknown) => e);
    expect(Errors.BUNDLE_FILE_CORRUPT.is(error)).toBe(true);
    expect((error as Error).message).toContain("'model.onnx'");
  });

  it('refuses a truncated model file, saying so', async () => {
    truncateSync(join(bundleDir, 'model.onnx'), 100);
    const error = await loadBundle(bundleDir).catch((e: unknown) => e);
    expect(Errors.BUNDLE_FILE_CORRUPT.is(error)).toBe(true);
    expect((error as Error).message).toContain('truncated');
  });

  it('refuses a missing file, a file replaced by a link, and a missing or broken manifest', async () => {
    const model = join(bundleDir, 'model.onnx');
    rmSync(model);
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_FILE_MISSING');
    symlinkSync(ONNX_FIXTURES.batchNorm, model);
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_FILE_CORRUPT');
    writeFileSync(join(bundleDir, 'berth.json'), '{ not json');
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    rmSync(join(bundleDir, 'berth.json'));
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_NOT_FOUND');
    expect(await code(loadBundle(join(dir, 'nowhere')))).toBe('BERTH_BUNDLE_NOT_FOUND');
  });

  it('detects an edited manifest through the expected digest', async () => {
    editManifest(bundleDir, (m) => (m.description = 'quietly changed'));
    expect((await loadBundle(bundleDir)).digest).not.toBe(digest);
    expect(await code(loadBundle(bundleDir, { expectedDigest: digest }))).toBe('BERTH_BUNDLE_DIGEST_MISMATCH');
  });

  it('ignores only the creation time in the digest', async () => {
    editManifest(bundleDir, (m) => (m.created = '1999-12-31T23:59:59.000Z'));
    expect((await loadBundle(bundleDir, { expectedDigest: digest })).digest).toBe(digest);
  });

  it('reads serving settings within the bounds the config allows, and refuses any other', async () => {
    editManifest(bundleDir, (m) => (m.serving = { batching: { maxBatchSize: 8, maxWaitMs: 2 } }));
    expect((await loadBundle(bundleDir)).manifest.serving).toEqual({ batching: { maxBatchSize: 8, maxWaitMs: 2 } });
    const refused: [unknown, string][] = [
      // A queue this long is no bound at all: the server would never answer 503 before memory ran out.
      [{ batching: { maxQueue: 1e12 } }, 'serving.batching.maxQueue: Too big: expected number to be <=1000000'],
      [{ batching: { maxQueue: 0 } }, 'serving.batching.maxQueue'],
      [{ batching: { maxBatchSize: 1.5 } }, 'serving.batching.maxBatchSize'],
      [{ batching: { timeoutMs: -1 } }, 'serving.batching.timeoutMs'],
      [{ batching: { maxBatch: 8 } }, 'serving.batching: Unrecognized key: "maxBatch"'],
      [{ batching: 'fast' }, 'serving.batching'],
      [{ replicas: 2 }, 'serving: Unrecognized key: "replicas"'],
    ];
    for (const [serving, problem] of refused) {
      editManifest(bundleDir, (m) => (m.serving = serving));
      await expect(loadBundle(bundleDir), JSON.stringify(serving)).rejects.toThrow(
        expect.objectContaining({ code: 'BERTH_BUNDLE_MANIFEST_INVALID', httpStatus: 400, message: expect.stringContaining(problem) }),
      );
    }
  });

  it('refuses unsafe file paths, duplicate files and newer formats', async () => {
    for (const path of ['../outside', '/etc/passwd', 'a\\b', 'a/../../b', '.hidden', 'berth.json']) {
      editManifest(bundleDir, (m) => ((m.files as { path: string }[])[0]!.path = path));
      expect(await code(loadBundle(bundleDir)), path).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    }
    editManifest(bundleDir, (m) => {
      const files = m.files as { path: string }[];
      files[0]!.path = 'model.onnx';
      files.push({ ...files[0]! });
    });
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    editManifest(bundleDir, (m) => (m.formatVersion = 2));
    expect(await code(loadBundle(bundleDir))).toBe('BERTH_BUNDLE_FORMAT_UNSUPPORTED');
  });
});

describe('.berth archives', () => {
  let bundleDir: string;
  beforeEach(async () => {
    bundleDir = join(dir, 'b');
    await packageModel(ONNX_FIXTURES.avgPool, { outDir: bundleDir, name: 'pool', tags: { a: 'b' } });
  });

  it('round-trip a bundle with the same digest, and are the same bytes every time', async () => {
    const { bundle, bytes } = await exportBundle(bundleDir, join(dir, 'pool.berth'));
    expect(bytes).toBe(readFileSync(join(dir, 'pool.berth')).length);
    await exportBundle(bundleDir, join(dir, 'again.berth'));
    expect(readFileSync(join(dir, 'again.berth'))).toEqual(readFileSync(join(dir, 'pool.berth')));
    const imported = await importBundle(join(dir, 'pool.berth'), join(dir, 'imported'), { expectedDigest: bundle.digest });
    expect(imported.digest).toBe(bundle.digest);
    expect(readdirSync(imported.dir).sort()).toEqual(['berth.json', 'model.onnx']);
    expect(readFileSync(imported.modelPath)).toEqual(readFileSync(ONNX_FIXTURES.avgPool));
  });

  it('refuse to overwrite an archive unless asked', async () => {
    await exportBundle(bundleDir, join(dir, 'x.berth'));
    expect(await code(exportBundle(bundleDir, join(dir, 'x.berth')))).toBe('BERTH_BUNDLE_OUTPUT_EXISTS');
    await exportBundle(bundleDir, join(dir, 'x.berth'), { overwrite: true });
  });

  it('refuse a cut-short archive and leave nothing behind', async () => {
    await exportBundle(bundleDir, join(dir, 'x.berth'));
    const full = readFileSync(join(dir, 'x.berth'));
    for (const length of [10, Math.floor(full.length / 2), full.length - 9]) {
      writeFileSync(join(dir, 'cut.berth'), full.subarray(0, length));
      expect(await code(importBundle(join(dir, 'cut.berth'), join(dir, 'out'))), `cut at ${length}`).toMatch(/^BERTH_BUNDLE_(ARCHIVE_INVALID|FILE_CORRUPT|FILE_MISSING)$/);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('refuse an archive whose model was replaced', async () => {
    const evil = join(dir, 'evil');
    mkdirSync(evil);
    writeFileSync(join(evil, 'berth.json'), readFileSync(join(bundleDir, 'berth.json')));
    writeFileSync(join(evil, 'model.onnx'), readFileSync(ONNX_FIXTURES.relu));
    await create({ file: join(dir, 'evil.berth'), cwd: evil, gzip: true }, ['berth.json', 'model.onnx']);
    expect(await code(importBundle(join(dir, 'evil.berth'), join(dir, 'out')))).toBe('BERTH_BUNDLE_FILE_CORRUPT');
  });

  it('refuse links inside, never write outside the destination, and drop unnamed files', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'berth.json'), readFileSync(join(bundleDir, 'berth.json')));
    writeFileSync(join(src, 'model.onnx'), readFileSync(join(bundleDir, 'model.onnx')));
    symlinkSync('/etc/passwd', join(src, 'link'));
    await create({ file: join(dir, 'link.berth'), cwd: src, gzip: true }, ['berth.json', 'model.onnx', 'link']);
    expect(await code(importBundle(join(dir, 'link.berth'), join(dir, 'out')))).toBe('BERTH_BUNDLE_ARCHIVE_INVALID');

    rmSync(join(src, 'link'));
    writeFileSync(join(dir, 'escaped.txt'), 'written outside');
    await create({ file: join(dir, 'escape.berth'), cwd: src, gzip: true, preservePaths: true }, ['berth.json', 'model.onnx', '../escaped.txt']);
    rmSync(join(dir, 'escaped.txt'));
    expect(await code(importBundle(join(dir, 'escape.berth'), join(dir, 'out')))).toBe('BERTH_BUNDLE_ARCHIVE_INVALID');
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);

    writeFileSync(join(src, 'stray.txt'), 'not in the manifest');
    await create({ file: join(dir, 'stray.berth'), cwd: src, gzip: true }, ['berth.json', 'model.onnx', 'stray.txt']);
    const imported = await importBundle(join(dir, 'stray.berth'), join(dir, 'out2'));
    expect(readdirSync(imported.dir).sort()).toEqual(['berth.json', 'model.onnx']);
  });

  it('refuse an archive that would unpack past what its manifest declares, before writing anything', async () => {
    // A sparse file of 256 MiB of zeros compresses to a few hundred KB: a small archive, a big entry.
    const bomb = join(dir, 'bomb');
    mkdirSync(bomb);
    writeFileSync(join(bomb, 'berth.json'), readFileSync(join(bundleDir, 'berth.json')));
    const handle = openSync(join(bomb, 'model.onnx'), 'w');
    ftruncateSync(handle, 256 * 1024 * 1024);
    closeSync(handle);
    await create({ file: join(dir, 'bomb.berth'), cwd: bomb, gzip: true }, ['berth.json', 'model.onnx']);
    rmSync(bomb, { recursive: true });
    const declared = (JSON.parse(readFileSync(join(bundleDir, 'berth.json'), 'utf8')) as { files: { size: number }[] }).files[0]!.size;
    await expect(importBundle(join(dir, 'bomb.berth'), join(dir, 'out'))).rejects.toMatchObject({
      code: 'BERTH_BUNDLE_FILE_CORRUPT',
      message: expect.stringContaining(`file 'model.onnx' is ${256 * 1024 * 1024} bytes, but the manifest says ${declared}`),
    });
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('refuse berth.json twice, or anywhere but first', async () => {
    const src = join(dir, 'twice');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'berth.json'), readFileSync(join(bundleDir, 'berth.json')));
    writeFileSync(join(src, 'model.onnx'), readFileSync(join(bundleDir, 'model.onnx')));
    await create({ file: join(dir, 'twice.berth'), cwd: src, gzip: true }, ['berth.json', 'model.onnx', './berth.json']);
    await expect(importBundle(join(dir, 'twice.berth'), join(dir, 'out'))).rejects.toMatchObject({ message: expect.stringContaining('berth.json twice') });
    await create({ file: join(dir, 'late.berth'), cwd: src, gzip: true }, ['model.onnx', 'berth.json']);
    await expect(importBundle(join(dir, 'late.berth'), join(dir, 'out'))).rejects.toMatchObject({ message: expect.stringContaining('its first file is model.onnx') });
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuse files that are not archives', async () => {
    expect(await code(importBundle(ONNX_FIXTURES.relu, join(dir, 'out')))).toBe('BERTH_BUNDLE_ARCHIVE_INVALID');
    expect(await code(importBundle(join(dir, 'nothing.berth'), join(dir, 'out')))).toBe('BERTH_BUNDLE_NOT_FOUND');
  });
});
