/**
 * Collecting temporary work: an entry goes once nothing inside it has changed for the given age,
 * so a folder still being written to stays whatever the age of its own timestamp.
 */
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleEntries } from '../../src/store/stale-entries.js';
import { tempDir } from '../helpers/models.js';

const HOUR = 3_600_000;
const work = tempDir('berth-stale-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes a file (and its folders), dated `ageMs` ago. */
function plant(path: string, ageMs: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  age(path, ageMs);
}

function age(path: string, ageMs: number): void {
  const at = (Date.now() - ageMs) / 1000;
  utimesSync(path, at, at);
}

describe('removeStaleEntries', () => {
  it('removes files and folders untouched for the age, and keeps any holding something newer', async () => {
    const dir = join(work, 'tmp');
    plant(join(dir, 'register-old', 'model.onnx'), 2 * HOUR);
    age(join(dir, 'register-old'), 2 * HOUR);
    plant(join(dir, 'register-busy', 'first.onnx'), 2 * HOUR);
    plant(join(dir, 'register-busy', 'deep', 'second.onnx'), 60_000);
    age(join(dir, 'register-busy'), 2 * HOUR);
    plant(join(dir, 'leftover.tmp'), 2 * HOUR);
    plant(join(dir, 'fresh.tmp'), 0);
    plant(join(dir, 'uploads', 'upload-old.onnx'), 2 * HOUR);
    plant(join(dir, 'uploads', 'upload-new.onnx'), 0);

    expect(await removeStaleEntries(dir, HOUR, { containers: ['uploads'] })).toBe(3);
    expect(existsSync(join(dir, 'register-old'))).toBe(false);
    expect(existsSync(join(dir, 'leftover.tmp'))).toBe(false);
    expect(existsSync(join(dir, 'uploads', 'upload-old.onnx'))).toBe(false);
    // Something inside changed a minute ago: still in use.
    expect(existsSync(join(dir, 'register-busy', 'first.onnx'))).toBe(true);
    expect(existsSync(join(dir, 'fresh.tmp'))).toBe(true);
    expect(existsSync(join(dir, 'uploads', 'upload-new.onnx'))).toBe(true);
  });

  it('finds nothing in a folder that does not exist', async () => {
    expect(await removeStaleEntries(join(work, 'nowhere'), HOUR)).toBe(0);
  });
});
