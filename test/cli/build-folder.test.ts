/**
 * `berth build --folder <dir>`: the models folder for KServe's `s3://` storage URI. Versions
 * registered with blobs in S3 are written as a models folder, copied into a bucket the way `aws s3
 * sync` does, downloaded as KServe's storage initializer does into what becomes /mnt/models, and
 * served from there by `berth serve`, the ServingRuntime's command. Bad options exit 1 with a
 * catalogue error and leave nothing behind.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel, writeShiftModel } from '../helpers/models.js';
import { startTestS3 } from '../helpers/s3-server.js';

const { s3, skip } = await startTestS3();
const work = tempDir('berth-build-folder-');

afterAll(async () => {
  await s3?.close();
  rmSync(work, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort();
}

describe.skipIf(skip !== undefined)(`berth build --folder, served through s3:// as KServe does${skip ? ` (${skip})` : ''}`, () => {
  const blobs = s3?.url() ?? '';
  const home = join(work, 'home');
  const env = () => ({ ...s3!.env, BERTH_BLOBS: blobs, BERTH_HOME: home });

  it('writes a models folder that berth serve answers from after a round trip through S3', async () => {
    expect((await runBerth(['register', writeIdentityModel(work, 'FP32'), '--name', 'm'], env())).code).toBe(0);
    const second = await runBerth(['register', writeShiftModel(work, 10), '--name', 'm', '--alias', 'production'], env());
    expect(second.code, second.stderr).toBe(0);

    const folder = join(work, 'm-models');
    const built = await runBerth(['build', 'm@production', '--model', 'm:1', '--folder', folder], env());
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toContain(`Wrote the models folder ${folder}`);
    const files = filesUnder(folder);
    expect(files).toEqual(['berth-models.json', 'm/1/berth.json', 'm/1/model.onnx', 'm/2/berth.json', 'm/2/model.onnx']);

    // aws s3 sync <folder> s3://bucket/kserve/m, then KServe's storage initializer copies the
    // prefix into /mnt/models.
    const client = new S3Client({ ...s3!.client, endpoint: s3!.endpoint, forcePathStyle: true });
    try {
      for (const file of files) await client.send(new PutObjectCommand({ Bucket: s3!.bucket, Key: `kserve/m/${file}`, Body: readFileSync(join(folder, file)) }));
      const mounted = join(work, 'mnt-models');
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3!.bucket, Prefix: 'kserve/m/' }));
      for (const object of listed.Contents ?? []) {
        const target = join(mounted, relative('kserve/m', object.Key!));
        mkdirSync(dirname(target), { recursive: true });
        const body = await client.send(new GetObjectCommand({ Bucket: s3!.bucket, Key: object.Key! }));
        writeFileSync(target, await body.Body!.transformToByteArray());
      }
      expect(filesUnder(mounted)).toEqual(files);

      const server = await startBerthServe([mounted, '--port', '0', '--log-level', 'warn'], { BERTH_HOME: join(work, 'serve-home') });
      try {
        const infer = async (path: string) => {
          const response = await fetch(`${server.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
          });
          return (await response.json()) as { model_version: string; outputs: { data: number[] }[] };
        };
        // The production version at the plain name, as in the registry; the other by number.
        expect(await infer('/v2/models/m/infer')).toMatchObject({ model_version: '2', outputs: [{ data: [11, 12, 13] }] });
        expect(await infer('/v2/models/m/versions/1/infer')).toMatchObject({ model_version: '1', outputs: [{ data: [1, 2, 3] }] });
      } finally {
        server.child.kill('SIGKILL');
      }
    } finally {
      client.destroy();
    }
  }, 60_000);

  it('refuses a folder in the way, image options, and unknown versions, exiting 1 and writing nothing', async () => {
    const busy = join(work, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'mine');
    const inTheWay = await runBerth(['build', 'm', '--folder', busy], env());
    expect(inTheWay.code).toBe(1);
    expect(inTheWay.stderr).toContain('[BERTH_IMAGE_OPTION_INVALID]');
    expect(readdirSync(busy)).toEqual(['keep.txt']);

    const fresh = join(work, 'fresh');
    const withImage = await runBerth(['build', 'm', '--folder', fresh, '-o', join(work, 'm.tar')], env());
    expect(withImage.code).toBe(1);
    expect(withImage.stderr).toMatch(/--folder writes a folder, not an image; leave out --output.*\[BERTH_IMAGE_OPTION_INVALID\]/);

    const unknown = await runBerth(['build', 'm:9', '--folder', fresh], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('BERTH_REGISTRY_VERSION_NOT_FOUND');
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(work).filter((name) => name.startsWith('.fresh'))).toEqual([]);
  });
});
