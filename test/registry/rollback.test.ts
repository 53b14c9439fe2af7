/**
 * The rule for "roll back" (registry/rollback-target.ts) and the registry's rollback, on every
 * metadata-store backend: the alias goes back to the version it served before, never forward, and
 * the audit log says it was a roll back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Registry, openRegistry } from '../../src/registry/index.js';
import { type AliasMove, rollbackTarget } from '../../src/registry/rollback-target.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

describe('rollbackTarget', () => {
  const set = (seq: number, version: number, previous: number | null): AliasMove => ({ seq, version, previous });

  it('goes back to the version the alias served before, and never forward', () => {
    const history = [set(1, 1, null), set(2, 2, 1), set(3, 3, 2)];
    expect(rollbackTarget(history, 3, new Set([1, 2, 3]))).toBe(2);
    // After rolling back to 2, the next roll back goes to 1, not forward to 3.
    expect(rollbackTarget([...history, set(4, 2, 3)], 2, new Set([1, 2, 3]))).toBe(1);
    expect(rollbackTarget([...history, set(4, 2, 3), set(5, 1, 2)], 1, new Set([1, 2, 3]))).toBeNull();
  });

  it('skips deleted versions and falls back to the newest older version without history', () => {
    expect(rollbackTarget([set(1, 1, null), set(2, 3, 1)], 3, new Set([2, 3]))).toBe(2);
    expect(rollbackTarget([], 5, new Set([1, 4, 5, 7]))).toBe(4);
    expect(rollbackTarget([], 1, new Set([1, 2]))).toBeNull();
  });

  it('reads the moves newest first whatever order they come in', () => {
    expect(rollbackTarget([set(3, 3, 2), set(1, 1, null), set(2, 2, 1)], 3, new Set([1, 2, 3]))).toBe(2);
  });
});

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`Registry.rollback on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let registry: Registry;

    beforeEach(async () => {
      location = backend.create();
      registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, actor: { interface: 'test', actor: 'vitest' } });
      await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
      await registry.register(ONNX_FIXTURES.sign, { name: 'm' });
      await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
    });
    afterEach(async () => {
      await registry.close();
      await location.cleanup();
    });

    it('rolls production back along its history, recording each roll back and its reason', async () => {
      await registry.setAlias('m', 'production', 2);
      await registry.setAlias('m', 'production', 3);
      expect(await registry.rollbackPlan('m')).toEqual({ model: 'm', alias: 'production', version: 3, target: 2 });
      const first = await registry.rollback('m', { reason: 'p99 doubled' });
      expect(first).toMatchObject({ model: 'm', alias: 'production', version: 2, previous: 3 });
      const second = await registry.rollback('m');
      expect(second).toMatchObject({ version: 1, previous: 2 });
      expect((await registry.getModel('m')).aliases).toEqual({ production: 1 });

      const entries = (await registry.auditLog({ model: 'm', order: 'desc', limit: 2 })).map((e) => [e.action, e.version, e.details]);
      expect(entries).toEqual([
        ['alias.set', 1, { previous: 2, rollback: true }],
        ['alias.set', 2, { previous: 3, rollback: true, reason: 'p99 doubled' }],
      ]);
      expect(await code(registry.rollback('m'))).toBe('BERTH_REGISTRY_ROLLBACK_UNAVAILABLE');
      expect((await registry.getModel('m')).aliases).toEqual({ production: 1 });
    });

    it('rolls any alias back, and refuses unknown models and aliases without changing anything', async () => {
      await registry.setAlias('m', 'staging', 3);
      expect(await registry.rollback('m', { alias: 'staging' })).toMatchObject({ alias: 'staging', version: 2, previous: 3 });
      const before = await registry.changeSequence();
      expect(await code(registry.rollback('nope'))).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
      expect(await code(registry.rollback('m', { alias: 'canary' }))).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
      expect(await code(registry.rollbackPlan('m', 'canary'))).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
      expect(await registry.changeSequence()).toBe(before);
    });

    it('skips a version deleted since it served', async () => {
      await registry.setAlias('m', 'production', 2);
      await registry.setAlias('m', 'production', 3);
      await registry.deleteVersion('m', 2);
      expect(await registry.rollback('m')).toMatchObject({ version: 1, previous: 3 });
    });
  });
}
