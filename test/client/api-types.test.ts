/**
 * The berth/client package: importable by its name through the exports map, and its management
 * API types are the generated ones the dashboard uses, shipped with the package.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('the berth/client package', () => {
  it("resolves through the package's exports map, as 'berth/client'", async () => {
    const script = "const m = await import('berth/client'); console.log(typeof m.BerthClient, typeof m.tensor)";
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout.trim()).toBe('function function');
  });

  it('declares its API types by the generated file, which the package ships', async () => {
    const declarations = await readFile(`${ROOT}dist/client/api-types.d.ts`, 'utf8');
    expect(declarations).toContain("from '../../web/src/api/generated/openapi.js'");
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('web/src/api/generated');
  });
});
