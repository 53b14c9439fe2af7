/**
 * The rollout store's contract, run against every metadata-store backend: SQLite files in
 * temporary folders, and PostgreSQL in a schema of its own when BERTH_TEST_POSTGRES_URL is set.
 * Two stores over one database stand for two replicas (or a replica and the CLI).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MetadataStore, type RolloutRow, RolloutStore, openMetadataStore } from '../../src/store/index.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

function rollout(id: string, model: string, created: string): RolloutRow {
  return {
    id,
    model,
    active_model: model,
    champion: 1,
    challenger: 2,
    state: 'running',
    plan: '{"steps":["10","100"],"bake":0,"interval":1000,"minRequests":1,"guards":["error_rate<0.01"]}',
    step: -1,
    step_started_at: null,
    next_check_at: created,
    created_at: created,
    updated_at: created,
    finished_at: null,
    interface: 'test',
    actor: null,
    reason: null,
    deployment_seq: null,
    last_check: null,
    events: '[]',
    holder: null,
    revision: 0,
  };
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`rollout store on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let stores: MetadataStore[];
    let a: RolloutStore;
    let b: RolloutStore;

    beforeEach(async () => {
      location = backend.create();
      const options = { home: location.home, databaseUrl: location.databaseUrl, schema: location.schema };
      stores = [await openMetadataStore(options), await openMetadataStore(options)];
      a = new RolloutStore(stores[0]!.db);
      b = new RolloutStore(stores[1]!.db);
    });
    afterEach(async () => {
      for (const store of stores) await store.close();
      await location.cleanup();
    });

    it('keeps one running rollout per model, across replicas, even when two start at once', async () => {
      const [first, second] = await Promise.all([a.insert(rollout('r1', 'm', '2026-01-01T00:00:00.000Z')), b.insert(rollout('r2', 'm', '2026-01-01T00:00:01.000Z'))]);
      const outcomes = [first, second].map((o) => o.inserted);
      expect(outcomes.sort()).toEqual([false, true]);
      const loser = [first, second].find((o) => !o.inserted);
      const winner = (await a.runningFor('m'))!;
      expect(loser).toMatchObject({ inserted: false, running: { id: winner.id } });
      expect(await b.insert(rollout('r3', 'other', '2026-01-01T00:00:02.000Z'))).toEqual({ inserted: true });
      expect((await a.running()).map((r) => r.model).sort()).toEqual(['m', 'other']);
    });

    it('writes only at the revision read, and a finished rollout frees its model', async () => {
      await a.insert(rollout('r1', 'm', '2026-01-01T00:00:00.000Z'));
      const row = (await b.get('r1'))!;
      expect(row).toMatchObject({ champion: 1, challenger: 2, step: -1, revision: 0, deployment_seq: null });
      expect(await a.update('r1', 0, { step: 0, deployment_seq: 7, holder: 'replica-a' })).toBe(true);
      // The other replica read revision 0: its write is refused, nothing of it lands.
      expect(await b.update('r1', 0, { step: 1, holder: 'replica-b' })).toBe(false);
      expect(await b.get('r1')).toMatchObject({ step: 0, deployment_seq: 7, holder: 'replica-a', revision: 1 });

      expect(await b.update('r1', 1, { state: 'aborted', reason: 'aborted by test', finished_at: '2026-01-01T00:01:00.000Z' })).toBe(true);
      expect(await a.runningFor('m')).toBeUndefined();
      expect(await a.running()).toEqual([]);
      expect(await a.insert(rollout('r2', 'm', '2026-01-01T00:02:00.000Z'))).toEqual({ inserted: true });
      expect((await a.list('m')).map((r) => [r.id, r.state, r.active_model])).toEqual([
        ['r2', 'running', 'm'],
        ['r1', 'aborted', null],
      ]);
      expect(await a.list('nobody')).toEqual([]);
      expect(await a.get('missing')).toBeUndefined();
    });
  });
}
