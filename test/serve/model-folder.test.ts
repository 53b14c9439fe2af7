/**
 * `berth serve <folder>`: a model folder (what an image carries under /models) served read-only
 * with no registry: versions verified against the index's digests, aliases and the default
 * version as the index says, named-feature prediction, the token rule of `berth serve`, and drift
 * reports against the served bundles' reference profiles.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, modelFolderIndexText } from '../../dist/registry/index.js';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { trainBundle as trainProfiledBundle } from '../../dist/app/train-bundle.js';
import { DATASETS, trainBundle } from '../helpers/trained.js';

const TOKEN = 'folder-test-token';
const RECORD = { age: 45, annual_income: 42600, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 };

describe('berth serve <model folder>', () => {
  let bundle: string;
  let digest: string;

  beforeAll(async () => {
    bundle = await trainBundle('loans_reference.csv', 'defaulted', 'loans');
    digest = (await loadBundle(bundle)).digest;
  }, 120_000);

  /** A folder with a bundle (`source`, of digest `sourceDigest`) as loans:3 (aliases given) and loans:1. */
  function folder(aliases: string[], indexDigest = digest, source = bundle, sourceDigest = digest): string {
    const dir = tempDir('berth-folder-');
    for (const version of [1, 3]) cpSync(source, join(dir, 'loans', String(version)), { recursive: true });
    writeFileSync(join(dir, 'berth-models.json'), modelFolderIndexText([
      { model: 'loans', version: 3, digest: indexDigest, aliases },
      { model: 'loans', version: 1, digest: sourceDigest, aliases: [] },
    ]));
    return dir;
  }

  it('serves every version with its digest, the production alias at the plain name, predictions under the token rule', async () => {
    const dir = folder(['production', 'staging']);
    const server = await startBerthServe([dir, '--port', '0', '--host', '0.0.0.0'], { BERTH_ADMIN_TOKEN: TOKEN, BERTH_HOME: join(dir, 'home') });
    try {
      const url = server.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${url}/api/server`)).status).toBe(401);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const { served } = (await (await fetch(`${url}/api/server`, { headers: auth })).json()) as { served: { version: string; digest: string; aliases: string[]; default: boolean }[] };
      expect(served.map((s) => [s.version, s.digest, s.aliases, s.default]).sort()).toEqual([
        ['1', digest, [], false],
        ['3', digest, ['production', 'staging'], true],
      ]);
      const response = await fetch(`${url}/api/models/loans@staging/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ records: [RECORD] }) });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ model: 'loans', version: 3, predictions: [{ label: expect.any(String) }] });
      expect(((await (await fetch(`${url}/v2/models/loans/versions/1/ready`)).json()) as { ready: boolean }).ready).toBe(true);
      expect((await fetch(`${url}/api/models`, { headers: auth })).status).toBe(404);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it("reports drift against the served bundle's reference profile, with no registry to ask", async () => {
    // `berth train`'s bundle: with the reference profile of its training rows.
    const outDir = join(tempDir(), 'profiled');
    const { bundle: profiled } = await trainProfiledBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 7, name: 'loans', outDir });
    const dir = folder(['production'], profiled.digest, outDir, profiled.digest);
    const server = await startBerthServe([dir, '--port', '0'], { BERTH_HOME: join(dir, 'home') });
    try {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${server.url}/api/models/loans/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [RECORD] }) });
        expect(response.status).toBe(200);
      }
      const drift = await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h`);
      expect(drift.status, await drift.clone().text()).toBe(200);
      const report = (await drift.json()) as { version: string; features: { name: string }[] };
      expect(report.version).toBe('3');
      expect(report.features.map((f) => f.name)).toEqual(expect.arrayContaining(['age', 'credit_score', 'region']));
      const missing = await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h&version=2`);
      expect(((await missing.json()) as { code: string }).code).toBe('BERTH_MONITOR_PROFILE_MISSING');
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('answers the highest version at the plain name when no version has the production alias', async () => {
    const dir = folder([]);
    const server = await startBerthServe([dir, '--port', '0'], { BERTH_HOME: join(dir, 'home') });
    try {
      const ready = (await (await fetch(`${server.url}/v2/models/loans/ready`)).json()) as { version: string };
      expect(ready.version).toBe('3');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('writes its monitoring windows to the database it is given', async () => {
    const dir = folder(['production']);
    const database = join(dir, 'monitor.db');
    const server = await startBerthServe([dir, '--port', '0'], { BERTH_HOME: join(dir, 'home'), BERTH_DATABASE_URL: `sqlite:${database}` });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${server.url}/api/models/loans/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [RECORD] }) });
        expect(response.status).toBe(200);
      }
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    // Closing flushes the windows; the folder's home is never written.
    const db = new Database(database, { readonly: true });
    try {
      const rows = db.prepare('select model, version, sum(requests) as requests from monitor_windows group by model, version').all();
      expect(rows).toEqual([{ model: 'loans', version: '3', requests: 3 }]);
    } finally {
      db.close();
    }
    expect(existsSync(join(dir, 'home'))).toBe(false);
  });

  it('refuses a bundle that does not match the digest in the index, a tampered file and a broken index', async () => {
    const wrong = folder(['production'], `sha256:${'a'.repeat(64)}`);
    const mismatch = await runBerth(['serve', wrong, '--port', '0'], { BERTH_HOME: join(wrong, 'home') });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('BERTH_BUNDLE_DIGEST_MISMATCH');

    const tampered = folder(['production']);
    appendFileSync(join(tampered, 'loans', '3', 'model.onnx'), 'x');
    const corrupt = await runBerth(['serve', tampered, '--port', '0'], { BERTH_HOME: join(tampered, 'home') });
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain('BERTH_BUNDLE_FILE_CORRUPT');

    const broken = folder(['production']);
    const index = JSON.parse(readFileSync(join(broken, 'berth-models.json'), 'utf8')) as { versions: unknown[] };
    writeFileSync(join(broken, 'berth-models.json'), JSON.stringify({ ...index, versions: [...index.versions, index.versions[0]] }));
    const twice = await runBerth(['serve', broken, '--port', '0'], { BERTH_HOME: join(broken, 'home') });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('BERTH_MODEL_FOLDER_INVALID');
    expect(twice.stderr).toContain('listed twice');

    const empty = tempDir('berth-folder-');
    mkdirSync(join(empty, 'x'));
    writeFileSync(join(empty, 'berth-models.json'), '{"format": 9, "versions": []}');
    const newer = await runBerth(['serve', empty, '--port', '0'], { BERTH_HOME: join(empty, 'home') });
    expect(newer.code).toBe(1);
    expect(newer.stderr).toContain('BERTH_MODEL_FOLDER_INVALID');
  });
});
