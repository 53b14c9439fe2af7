/** API keys in the registry on every metadata backend: created, hashed at rest, listed, revoked, audited. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Registry, apiKeyHash, openRegistry } from '../../dist/registry/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`API keys on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let registry: Registry;
    beforeEach(async () => {
      location = backend.create();
      registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, actor: { interface: 'test' } });
    });
    afterEach(async () => {
      await registry.close();
      await location.cleanup();
    });

    it('creates a key that verifies, and stores only its hash', async () => {
      await registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'digits' });
      const { key, record } = await registry.createKey({ scopes: ['predict', 'read', 'predict'], model: 'digits', name: 'checkout' });
      expect(key).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
      expect(record).toMatchObject({ name: 'checkout', scopes: ['predict', 'read'], model: 'digits', revoked: null });
      expect(key.startsWith(record.hint.replace('…', ''))).toBe(true);
      expect(await registry.verifyKey(key)).toEqual(record);
      const rows = await registry.store.db.selectFrom('api_keys').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.hash).toBe(apiKeyHash(key));
      expect(JSON.stringify(rows)).not.toContain(key.slice(10));
      expect(await registry.verifyKey(`${key.slice(0, -1)}x`)).toBeUndefined();
      expect(await registry.verifyKey('not-a-key')).toBeUndefined();
    });

    it('lists keys without the keys, revokes them idempotently, and audits both', async () => {
      const first = await registry.createKey({ scopes: ['admin'] });
      const second = await registry.createKey({ scopes: ['read'], name: 'dashboards' });
      expect(first.record.name).toBe(`key-${first.record.id}`);
      const listed = await registry.listKeys();
      expect(listed.map((k) => k.id).sort()).toEqual([first.record.id, second.record.id].sort());
      expect(JSON.stringify(listed)).not.toContain(first.key);
      const revoked = await registry.revokeKey(first.record.id);
      expect(revoked.revoked).not.toBeNull();
      expect(await registry.verifyKey(first.key)).toBeUndefined();
      expect(await registry.verifyKey(second.key)).toBeDefined();
      expect((await registry.revokeKey(first.record.id)).revoked).toBe(revoked.revoked);
      const audit = await registry.auditLog();
      expect(audit.map((e) => e.action)).toEqual(['key.create', 'key.create', 'key.revoke']);
      expect(audit[2]!.details).toEqual({ id: first.record.id, name: first.record.name });
      expect(JSON.stringify(audit)).not.toContain(first.key);
    });

    it('refuses bad keys with what was wrong', async () => {
      await expect(registry.createKey({ scopes: [] })).rejects.toMatchObject({ code: 'BERTH_API_KEY_INVALID' });
      await expect(registry.createKey({ scopes: ['write'] })).rejects.toThrow("'write' is not a scope");
      await expect(registry.createKey({ scopes: ['read'], model: '../x' })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_NAME_INVALID' });
      // A key for a model that is not registered (a typo) would never work: refused, not made.
      await expect(registry.createKey({ scopes: ['predict'], model: 'nosuchmodel' })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' });
      await expect(registry.createKey({ scopes: ['read'], name: 'x'.repeat(129) })).rejects.toMatchObject({ code: 'BERTH_API_KEY_INVALID' });
      await expect(registry.revokeKey('nope')).rejects.toMatchObject({ code: 'BERTH_API_KEY_NOT_FOUND' });
      expect(await registry.listKeys()).toEqual([]);
    });
  });
}
