/**
 * `berth build` end to end: a model trained here is built into an image without a container
 * engine, loaded and run by Podman with a read-only root as a non-root user, and compared with
 * `berth serve` on this machine; builds are reproducible; a push to a registry on loopback pulls
 * back as the same digest.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { PODMAN_AVAILABLE, PODMAN_SKIP_REASON, Podman, REGISTRY_BIN, freePort, waitFor200 } from '../helpers/podman.js';
import { DATASETS } from '../helpers/trained.js';

const TOKEN = 'image-test-token';

interface Built {
  digest: string;
  versions: { model: string; version: number; digest: string; aliases: string[] }[];
  layers: { name: string; digest: string; cached: boolean }[];
  uncompressedSize: number;
  archive?: { path: string };
  pushed?: { digest: string; reference: string };
}

/** Rows of the loans data without the target, as records. */
function loanRecords(count: number): Record<string, string | number>[] {
  const [header, ...lines] = readFileSync(join(DATASETS, 'loans_current_stable.csv'), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return lines.slice(0, count).map((line) => {
    const values = line.split(',');
    const record: Record<string, string | number> = {};
    columns.forEach((column, i) => {
      if (column === 'defaulted') return;
      const value = values[i]!;
      record[column] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    });
    return record;
  });
}

async function build(home: string, args: readonly string[]): Promise<Built> {
  const base = args.includes('--base') ? [] : ['--base', 'host'];
  const result = await runBerth(['build', ...args, ...base, '--home', home, '--json'], {}, 240_000);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Built;
}

async function predict(url: string, records: unknown[]): Promise<unknown> {
  const response = await fetch(`${url}/api/models/loans/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ records }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: unknown }).predictions;
}

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN), to fill a disk on purpose. */
const CAN_MOUNT = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'berth-mount-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (mounted) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted;
})();

const PODMAN_NOTE = PODMAN_AVAILABLE ? '' : ` (${PODMAN_SKIP_REASON})`;
const REGISTRY_NOTE = existsSync(REGISTRY_BIN) ? '' : ' (skipped: needs the docker-registry package)';

describe('berth build', () => {
  let dir: string;
  let home: string;
  let built: Built;
  let podman: Podman;
  let registry: ChildProcess | undefined;

  beforeAll(async () => {
    dir = tempDir('berth-image-');
    home = join(dir, 'home');
    podman = new Podman(join(dir, 'podman'));
    const trained = await runBerth(['train', join(DATASETS, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--alias', 'production', '--algorithm', 'linear', '--home', home]);
    expect(trained.code, trained.stderr).toBe(0);
    built = await build(home, ['loans@production', '-o', join(dir, 'loans.tar')]);
  }, 300_000);

  afterAll(async () => {
    registry?.kill('SIGTERM');
    if (PODMAN_AVAILABLE) await podman?.exec(['rm', '-af']).catch(() => '');
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('writes runtime, Berth and models layers under 200 MB, labelled with the versions it serves', () => {
    expect(built.layers.map((l) => l.name)).toEqual(['runtime', 'berth', 'models']);
    expect(built.uncompressedSize).toBeLessThan(200 * 1024 * 1024);
    expect(built.versions).toEqual([expect.objectContaining({ model: 'loans', version: 1, aliases: ['production'] })]);
  });

  it('refuses an unknown model with exit 1 and writes nothing', async () => {
    const output = join(dir, 'unknown.tar');
    const result = await runBerth(['build', 'nosuchmodel', '-o', output, '--home', home]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('BERTH_REGISTRY_MODEL_NOT_FOUND');
    expect(existsSync(output)).toBe(false);
  });

  it('refuses a base it cannot pull, a non-amd64 base and a push nobody answers', async () => {
    const closed = await freePort();
    const pulled = await runBerth(['build', 'loans', '--base', `127.0.0.1:${closed}/node:20-slim`, '--insecure-registry', '-o', join(dir, 'x.tar'), '--home', home]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain('BERTH_IMAGE_PULL_FAILED');
    expect(existsSync(join(dir, 'x.tar'))).toBe(false);

    const layout = join(dir, 'arm-layout');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm64' } }] }));
    const arm = await runBerth(['build', 'loans', '--base', `oci:${layout}`, '-o', join(dir, 'arm.tar'), '--home', home]);
    expect(arm.code).toBe(1);
    expect(arm.stderr).toContain('BERTH_IMAGE_BASE_UNSUPPORTED');
    expect(arm.stderr).toContain('linux/amd64');
    expect(existsSync(join(dir, 'arm.tar'))).toBe(false);

    const port = await freePort();
    const push = await runBerth(['build', 'loans', '--base', 'host', '--push', `127.0.0.1:${port}/loans:1`, '--insecure-registry', '--home', home], {}, 240_000);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('BERTH_IMAGE_PUSH_FAILED');
  }, 300_000);

  it.skipIf(!CAN_MOUNT)(`stops with exit 1 and leaves no archive when the disk fills${CAN_MOUNT ? '' : ' (skipped: needs root to mount a small tmpfs)'}`, async () => {
    const small = join(dir, 'small-disk');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    try {
      const full = await runBerth(['build', 'loans@production', '--base', 'host', '-o', join(small, 'loans.tar'), '--home', home], {}, 240_000);
      expect(full.code).toBe(1);
      expect(full.stderr).toContain('BERTH_IMAGE_BUILD_FAILED');
      expect(full.stderr).toContain('disk is full');
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  }, 300_000);

  it('gives the same digest and bytes for the same inputs, without the layer cache too', async () => {
    const again = await build(home, ['loans@production', '-o', join(dir, 'again.tar'), '--cache-dir', join(dir, 'fresh-cache')]);
    expect(again.digest).toBe(built.digest);
    expect(readFileSync(join(dir, 'again.tar')).equals(readFileSync(join(dir, 'loans.tar')))).toBe(true);
  }, 300_000);

  it('changes only the models layer for a new version', async () => {
    const retrained = await runBerth(['train', join(DATASETS, 'loans_current_stable.csv'), '--target', 'defaulted', '--name', 'loans', '--register', '--algorithm', 'linear', '--home', home]);
    expect(retrained.code, retrained.stderr).toBe(0);
    const next = await build(home, ['loans:2', '-o', join(dir, 'next.tar')]);
    expect(next.digest).not.toBe(built.digest);
    expect(next.layers.slice(0, 2)).toEqual(built.layers.slice(0, 2).map((l) => ({ ...l, cached: true })));
    expect(next.layers[2]!.digest).not.toBe(built.layers[2]!.digest);
  }, 300_000);

  it.skipIf(!PODMAN_AVAILABLE)(`runs under Podman read-only as a non-root user, serves the version and digest, predicts as berth serve does, and drains on SIGTERM${PODMAN_NOTE}`, async () => {
    const loaded = await podman.exec(['load', '-i', join(dir, 'loans.tar')]);
    expect(loaded).toContain('localhost/loans:1');
    expect(await podman.exec(['image', 'inspect', '--format', '{{.Digest}}', 'localhost/loans:1'])).toBe(built.digest);

    const port = await freePort();
    const container = await podman.runDetached('localhost/loans:1', ['--read-only', '--user', '65532:65532', '-e', `BERTH_ADMIN_TOKEN=${TOKEN}`, '-e', `BERTH_PORT=${port}`]);
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitFor200(`${url}/v2/health/ready`, 90_000);
    expect(ready, await podman.exec(['logs', container])).toBe(true);
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);

    // Non-root, read-only root: as the kernel sees the container's process.
    const pid = await podman.exec(['inspect', '--format', '{{.State.Pid}}', container]);
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    expect(uid).toBe('65532');
    expect(await podman.exec(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', container])).toBe('true');

    // The token rule of berth serve beyond loopback: /api/ needs it.
    expect((await fetch(`${url}/api/server`)).status).toBe(401);
    const server = (await (await fetch(`${url}/api/server`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { served: unknown[] };
    expect(server.served).toEqual([expect.objectContaining({ model: 'loans', version: '1', digest: built.versions[0]!.digest, aliases: ['production'] })]);
    expect(((await (await fetch(`${url}/v2/models/loans`)).json()) as { versions: string[] }).versions).toEqual(['1']);

    const records = loanRecords(25);
    const host = await startBerthServe(['--home', home, '--port', '0'], { BERTH_ADMIN_TOKEN: TOKEN });
    try {
      expect(await predict(url, records)).toEqual(await predict(host.url, records));
    } finally {
      host.child.kill('SIGTERM');
      await host.exited;
    }

    await podman.exec(['stop', '--time', '30', container]);
    expect(await podman.exec(['inspect', '--format', '{{.State.ExitCode}}', container])).toBe('0');
    const logs = (await podman.exec(['logs', container])).split('\n').filter((line) => line.trim() !== '');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(() => JSON.parse(line), line).not.toThrow();
    expect(logs.some((line) => line.includes('shutting down'))).toBe(true);
  }, 300_000);

  it.skipIf(!PODMAN_AVAILABLE)(`makes a modelcar that runs KServe's link-and-sleep command and whose /models berth serve serves${PODMAN_NOTE}`, async () => {
    const modelcar = await build(home, ['loans@production', '--modelcar', '-o', join(dir, 'modelcar.tar')]);
    expect(modelcar.layers.map((l) => l.name)).toEqual(['tools', 'models']);
    expect(modelcar.layers[1]!.digest).toBe(built.layers[2]!.digest);
    expect(await podman.exec(['load', '-i', join(dir, 'modelcar.tar')])).toContain('localhost/loans-modelcar:1');
    // What KServe runs in the modelcar container, listing (with the shell alone) instead of sleeping forever.
    const listing = await podman.runToEnd('localhost/loans-modelcar:1', ['--read-only'], ['sh', '-c', 'ln -s /proc/$$/root/models /tmp/ && for f in /tmp/models/loans/1/*; do echo "${f##*/}"; done && sleep 0']);
    expect(listing.split('\n')).toEqual(['berth.json', 'model.onnx']);

    const created = await podman.exec(['create', 'localhost/loans-modelcar:1']);
    const models = join(dir, 'modelcar-models');
    await podman.exec(['cp', `${created}:/models`, models]);
    const server = await startBerthServe([models, '--port', '0'], { BERTH_HOME: join(dir, 'modelcar-home') });
    try {
      const served = ((await (await fetch(`${server.url}/api/server`)).json()) as { served: { digest: string }[] }).served;
      expect(served.map((s) => s.digest)).toEqual([built.versions[0]!.digest]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 300_000);

  it.skipIf(!PODMAN_AVAILABLE || !existsSync(REGISTRY_BIN))(`pushes to a registry on loopback, pulls back the same digest, and builds on it as a base${PODMAN_NOTE}${REGISTRY_NOTE}`, async () => {
    const port = await freePort();
    const config = join(dir, 'registry.yml');
    mkdirSync(join(dir, 'registry-data'));
    writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry-data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    registry = spawn(REGISTRY_BIN, ['serve', config], { stdio: 'ignore' });
    expect(await waitFor200(`http://127.0.0.1:${port}/v2/`, 30_000)).toBe(true);

    const pushed = await build(home, ['loans@production', '--push', `127.0.0.1:${port}/berth/loans:1`, '--insecure-registry']);
    expect(pushed.digest).toBe(built.digest);
    expect(pushed.pushed?.digest).toBe(built.digest);
    await podman.exec(['pull', '--tls-verify=false', `127.0.0.1:${port}/berth/loans:1`], 240_000);
    expect(await podman.exec(['image', 'inspect', '--format', '{{.Digest}}', `127.0.0.1:${port}/berth/loans:1`])).toBe(built.digest);

    // The pushed image has glibc and Node where the entry point runs it, so it can be a base.
    const based = await build(home, ['loans@production', '--base', `127.0.0.1:${port}/berth/loans:1`, '--insecure-registry', '-o', join(dir, 'based.tar')]);
    expect(based.layers.map((l) => l.name)).toEqual(['base', 'base', 'base', 'berth', 'models']);
    expect(based.layers.slice(0, 3).map((l) => l.digest)).toEqual(built.layers.map((l) => l.digest));
    await podman.exec(['load', '-i', join(dir, 'based.tar')]);
    const serving = await freePort();
    const container = await podman.runDetached('localhost/loans:1', ['--read-only', '-e', `BERTH_ADMIN_TOKEN=${TOKEN}`, '-e', `BERTH_PORT=${serving}`]);
    const ready = await waitFor200(`http://127.0.0.1:${serving}/v2/health/ready`, 90_000);
    expect(ready, await podman.exec(['logs', container])).toBe(true);
    await podman.exec(['rm', '-f', container]);
  }, 300_000);
});
