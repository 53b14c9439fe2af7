/**
 * A registry server collects what killed `register`/`import` runs, cut-off uploads and dead
 * training replicas left in BERTH_HOME, at start-up (then hourly), and never what is in use.
 */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';

const HOUR = 3_600_000;

/** Writes a file (and its folders), and dates it and them `ageMs` ago. */
function plant(home: string, relative: string, ageMs: number): string {
  const path = join(home, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'left over');
  const at = (Date.now() - ageMs) / 1000;
  for (let p = path; p.length > home.length; p = join(p, '..')) utimesSync(p, at, at);
  return path;
}

describe('temporary files', () => {
  it('are collected when the server starts, once untouched for an hour (training work: past its time limit)', async () => {
    const home = tempDir('berth-temporary-');
    const stale = [
      plant(home, 'tmp/register-killed/model.onnx', 2 * HOUR),
      plant(home, 'tmp/uploads/upload-cut-off.onnx', 2 * HOUR),
      plant(home, 'blobs/tmp/.blob.tmp-123-abcdef', 2 * HOUR),
      plant(home, 'training/jobs-dead/jobs/0190/upload.csv', 3 * HOUR),
    ];
    const kept = [
      plant(home, 'tmp/uploads/upload-in-progress.onnx', 0),
      plant(home, 'tmp/register-running/model.onnx', 60_000),
      // Training writes nothing while a job runs, for up to training.maxJobMs (an hour).
      plant(home, 'training/jobs-busy/jobs/0191/upload.csv', 90 * 60_000),
    ];
    const server = await startRegistryServer(home);
    try {
      expect(await eventually(() => stale.every((path) => !existsSync(path)))).toBe(true);
      for (const path of kept) expect(existsSync(path), path).toBe(true);
      expect(existsSync(join(home, 'tmp', 'uploads'))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
