/**
 * Serving from the registry: the default version (production, else the latest) at the plain
 * name, every aliased version addressable, alias moves (from another registry handle, as the CLI
 * or another process makes them) followed within 2 seconds with no request failing during the
 * swap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../dist/registry/index.js';
import { tempDir, writeIdentityModel, writeTwoInOutModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';

const home = tempDir();
const dir = tempDir();
let admin: Registry;
let server: Awaited<ReturnType<typeof startRegistryServer>>;

const x = { name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };
const pairInputs = [
  { name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] },
  { name: 'b', datatype: 'FP32', shape: [1, 2], data: [3, 4] },
];

beforeAll(async () => {
  admin = await openRegistry({ home, actor: { interface: 'cli' } });
  // ident: v1 identity FP32, v2 identity FP64 (tells the versions apart by datatype).
  await admin.register(writeIdentityModel(dir, 'FP32'), { name: 'ident', aliases: ['production'] });
  await admin.register(writeIdentityModel(dir, 'FP64'), { name: 'ident', aliases: ['staging'] });
  await admin.register(writeTwoInOutModel(dir), { name: 'pair', aliases: ['staging'] });
  server = await startRegistryServer(home);
});
afterAll(async () => {
  await server?.close();
  await admin?.close();
});

async function datatypeOf(path: string): Promise<string> {
  const meta = (await (await fetch(`${server.url}${path}`)).json()) as { inputs: { datatype: string }[] };
  return meta.inputs[0]!.datatype;
}

describe('serving the registry', () => {
  it('serves production at the plain name and every aliased version by number', async () => {
    expect(await datatypeOf('/v2/models/ident')).toBe('FP32');
    expect(await datatypeOf('/v2/models/ident/versions/1')).toBe('FP32');
    expect(await datatypeOf('/v2/models/ident/versions/2')).toBe('FP64');
    const meta = (await (await fetch(`${server.url}/v2/models/ident`)).json()) as { versions: string[] };
    expect(meta.versions.sort()).toEqual(['1', '2']);
    const { json } = await postJson(`${server.url}/v2/models/ident/infer`, { inputs: [x] });
    expect(json.model_version).toBe('1');
    const v2 = await postJson(`${server.url}/v2/models/ident/versions/2/infer`, { inputs: [{ ...x, datatype: 'FP64' }] });
    expect(v2.json.model_version).toBe('2');
  });

  it('answers a model without production at its latest version', async () => {
    const plain = await postJson(`${server.url}/v2/models/pair/infer`, { inputs: pairInputs });
    expect(plain.status).toBe(200);
    expect(plain.json.model_version).toBe('1');
    expect((await fetch(`${server.url}/v2/models/pair/versions/1`)).status).toBe(200);
    const wrong = await postJson(`${server.url}/api/models/pair@nope/predict`, { records: [{}] });
    expect(wrong.status).toBe(404);
    expect(wrong.json.code).toBe('BERTH_ALIAS_NOT_SERVED');
  });

  it('does not serve versions no alias points at', async () => {
    await admin.register(writeIdentityModel(tempDir(), 'INT32'), { name: 'ident' });
    await eventually(async () => false, 300);
    expect((await fetch(`${server.url}/v2/models/ident/versions/3`)).status).toBe(404);
  });

  it('follows an alias moved by another process within 2 seconds', async () => {
    await admin.setAlias('ident', 'production', 2);
    const started = Date.now();
    expect(await eventually(async () => (await datatypeOf('/v2/models/ident')) === 'FP64', 2000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    await admin.setAlias('ident', 'production', 1);
    expect(await eventually(async () => (await datatypeOf('/v2/models/ident')) === 'FP32', 2000)).toBe(true);
  });

  it('drops nothing while the alias moves back and forth under load', async () => {
    await admin.setAlias('pair', 'production', 1);
    await eventually(async () => (await fetch(`${server.url}/v2/models/pair`)).status === 200);
    // pair v1 (two inputs) and a second version of pair with the same signature.
    await admin.register(writeTwoInOutModel(tempDir()), { name: 'pair', description: 'copy', tags: { copy: 'yes' } });
    const versions = await admin.listVersions('pair');
    const second = versions.at(-1)!.version;
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    let ok = 0;
    const body = { inputs: pairInputs };
    const loops = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const { status, json, text } = await postJson(`${server.url}/v2/models/pair/infer`, body);
        if (status !== 200) failures.push(`${status} ${text}`);
        else {
          ok++;
          seen.add(json.model_version as string);
        }
      }
    });
    for (let i = 0; i < 6; i++) {
      await admin.setAlias('pair', 'production', i % 2 === 0 ? second : 1);
      await new Promise((r) => setTimeout(r, 250));
    }
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect([...seen].sort()).toEqual(['1', String(second)].sort());
  });
});
