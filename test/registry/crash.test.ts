/**
 * SIGKILL at any moment of a registration leaves the registry consistent, and running it again
 * succeeds. Child processes register real ONNX models into one registry (several at once, so
 * they also contend for locks) and are killed after random delays spread over start-up and
 * work; after every round the registry is checked from the outside:
 *
 * - every version's files are blobs with the right size and sha256, and the version opens as a
 *   verified bundle;
 * - every blob visible under blobs/sha256 is complete (its content hashes to its name);
 * - the audit log is gapless and has one `version.register` per version; numbering never went
 *   backwards; SQLite's own integrity check passes.
 *
 * Finally one child runs to the end and every model holds each of its files exactly once.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Registry, openRegistry } from '../../src/registry/index.js';
import { FileBlobStore, hashFile, openMetadataStore } from '../../src/store/index.js';
import { FIXTURE_ROOT } from '../helpers/fixtures.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

const REPO = new URL('../../', import.meta.url).pathname;
const CHILD = new URL('./crash-child.ts', import.meta.url).pathname;
/** Small real models: 24 files, spread over 3 models by the child. */
const FILES = readdirSync(join(FIXTURE_ROOT, 'pytorch-operator'))
  .filter((f) => f.endsWith('.onnx'))
  .sort()
  .slice(0, 24)
  .map((f) => join(FIXTURE_ROOT, 'pytorch-operator', f));

interface ChildRun {
  readonly lines: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * When to kill a child: so many ms after it starts, or so many ms after it has printed `lines`
 * progress lines (it prints one when ready and one per registration, so a kill after a few of its
 * 24 registrations always lands while it is still working, however fast the machine is).
 */
type Kill = { readonly from: 'spawn'; readonly ms: number } | { readonly from: 'progress'; readonly lines: number; readonly ms: number };

function runChild(location: StoreLocation, seed: number, kill?: Kill): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, location.home, location.databaseUrl ?? '-', location.schema ?? '-', String(seed), ...FILES], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), kill!.ms));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (kill?.from === 'progress' && timer === undefined && out.split('\n').length > kill.lines) arm();
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    if (kill?.from === 'spawn') arm();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`crash child failed (${code}):\n${out}\n${err}`));
      else resolve({ lines: out.split('\n').filter(Boolean), code, signal });
    });
  });
}

async function checkConsistency(location: StoreLocation, registry: Registry): Promise<{ versions: number }> {
  const blobs = new FileBlobStore(join(location.home, 'blobs'));
  let versions = 0;
  const models = await registry.listModels();
  for (const model of models) {
    for (const v of await registry.listVersions(model.name)) {
      versions++;
      const detail = await registry.getVersion(model.name, v.version);
      for (const file of detail.files) {
        const stored = await blobs.stat(file.digest);
        expect(stored?.size, `${model.name}:${v.version} ${file.path}`).toBe(file.size);
        expect((await hashFile(blobs.pathOf(file.digest))).digest).toBe(file.digest);
      }
      expect((await registry.openBundle({ model: model.name, kind: 'version', version: v.version })).bundle.digest).toBe(v.digest);
    }
  }
  for await (const blob of blobs.list()) expect((await hashFile(blobs.pathOf(blob.digest))).digest).toBe(blob.digest);

  const audit = await registry.auditLog({ limit: 100_000 });
  expect(audit.map((e) => e.seq)).toEqual(audit.map((_, i) => i + 1));
  expect(await registry.changeSequence()).toBe(audit.length);
  const registered = audit.filter((e) => e.action === 'version.register').map((e) => `${e.model}:${e.version}`);
  expect(new Set(registered).size).toBe(registered.length);
  expect(registered.length).toBe(versions);

  const store = await openMetadataStore({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema });
  try {
    const rows = await store.db
      .selectFrom('models')
      .leftJoin('versions', 'versions.model', 'models.name')
      .select((eb) => ['models.name', 'models.last_version', eb.fn.max<number | null>('versions.number').as('top')])
      .groupBy(['models.name', 'models.last_version'])
      .execute();
    for (const row of rows) expect(row.last_version).toBeGreaterThanOrEqual(Number(row.top ?? 0));
    if (store.kind === 'sqlite') expect((await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db)).rows).toEqual([{ integrity_check: 'ok' }]);
  } finally {
    await store.close();
  }
  return { versions };
}

const ROUNDS: Record<string, number> = { sqlite: 4, postgres: 3 };
const PARALLEL = 3;

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`crash safety on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    beforeAll(() => {
      location = backend.create();
    });
    afterAll(async () => {
      await location.cleanup();
    });

    it('SIGKILL at random moments of berth register leaves the registry consistent, and a re-run succeeds', async () => {
      let seed = 1;
      let killedWhileRegistering = 0;
      let killed = 0;
      for (let round = 0; round < ROUNDS[backend.name]!; round++) {
        const runs = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => {
            // Most kills land among the registrations (packaging, blob writes, the metadata
            // transaction); one child per round is killed from its start, which may fall while
            // it opens and migrates the database.
            const kill: Kill =
              i === 0
                ? { from: 'spawn', ms: 100 + Math.floor(Math.random() * 2500) }
                : { from: 'progress', lines: 1 + Math.floor(Math.random() * 10), ms: Math.floor(Math.random() * 30) };
            return runChild(location, seed++, kill);
          }),
        );
        for (const run of runs) {
          if (run.signal !== 'SIGKILL') continue;
          killed++;
          if (run.lines.includes('ready') && !run.lines.includes('done')) killedWhileRegistering++;
        }
        const registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema });
        try {
          await checkConsistency(location, registry);
        } finally {
          await registry.close();
        }
      }
      // Progress-timed kills always land mid-registration; start-up kills may land after a fast child
      // finished, so they are not counted on.
      expect(killed).toBeGreaterThanOrEqual(ROUNDS[backend.name]! * (PARALLEL - 1));
      expect(killedWhileRegistering).toBeGreaterThanOrEqual(ROUNDS[backend.name]! * (PARALLEL - 1));

      const final = await runChild(location, 999);
      expect(final.code).toBe(0);
      expect(final.lines.at(-1)).toBe('done');
      const registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema });
      try {
        const { versions } = await checkConsistency(location, registry);
        expect(versions).toBe(FILES.length);
        for (const model of await registry.listModels()) {
          expect(model.versions).toBe(FILES.filter((_, i) => `model-${i % 3}` === model.name).length);
          expect(model.aliases.candidate).toBeDefined();
        }
        // Interrupted writes leave only invisible temporary files, which garbage collection sweeps.
        await registry.collectGarbage({ temporaryAgeMs: 0 });
      } finally {
        await registry.close();
      }
    }, 120_000);
  });
}
