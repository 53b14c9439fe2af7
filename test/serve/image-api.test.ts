/**
 * `POST /api/images`: an image build as a job of the registry server, its progress, and the
 * archive download, which is byte for byte what `berth build` writes for the same versions.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { DATASETS } from '../helpers/trained.js';

describe('POST /api/images', () => {
  let dir: string;
  let home: string;
  let server: ServeProcess;

  beforeAll(async () => {
    dir = tempDir('berth-image-api-');
    home = join(dir, 'home');
    const trained = await runBerth(['train', join(DATASETS, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--alias', 'production', '--algorithm', 'linear', '--home', home]);
    expect(trained.code, trained.stderr).toBe(0);
    server = await startBerthServe(['--home', home, '--port', '0']);
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) => fetch(`${server.url}/api/images`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses an unknown model and a request without models', async () => {
    const unknown = await post({ models: ['nosuchmodel'] });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
    const empty = await post({ models: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { code: string }).code).toBe('BERTH_REQUEST_INVALID');
    const missing = await fetch(`${server.url}/api/images/00000000-0000-0000-0000-000000000000`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('BERTH_IMAGE_JOB_NOT_FOUND');
  });

  it('builds as a job with progress, and the archive downloads as berth build writes it', async () => {
    const started = await post({ models: ['loans@production'] });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    const job = (await started.json()) as { id: string; state: string };
    expect(location).toBe(`/api/images/${job.id}`);
    expect(['queued', 'building']).toContain(job.state);

    let state = job.state;
    let current: { state: string; progress: string[]; image?: { digest: string; archiveBytes: number }; error?: unknown } | undefined;
    for (let i = 0; i < 600 && (state === 'queued' || state === 'building'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      current = (await (await fetch(`${server.url}${location}`)).json()) as typeof current;
      state = current!.state;
    }
    expect(current?.error).toBeUndefined();
    expect(state).toBe('succeeded');
    expect(current!.progress.some((line) => line.startsWith('layer models'))).toBe(true);
    expect(((await (await fetch(`${server.url}/api/images`)).json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(job.id);

    const download = await fetch(`${server.url}${location}/archive`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('loans-1.tar');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(current!.image!.archiveBytes);

    const cli = await runBerth(['build', 'loans@production', '--base', 'host', '-o', join(dir, 'cli.tar'), '--home', home, '--json'], {}, 240_000);
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { digest: string }).digest).toBe(current!.image!.digest);
    expect(bytes.equals(readFileSync(join(dir, 'cli.tar')))).toBe(true);
  }, 300_000);
});
