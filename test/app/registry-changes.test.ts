/**
 * RegistryChanges: the registry changes that move aliases bring this replica up to date at once,
 * and those that move none leave it alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryChanges } from '../../src/app/registry-changes.js';
import { type Registry, openRegistry } from '../../src/registry/index.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

const sqlite = STORE_BACKENDS[0]!;

describe('registry changes', () => {
  let location: StoreLocation;
  let registry: Registry;
  let syncs: string[];
  let changes: RegistryChanges;

  beforeEach(async () => {
    location = sqlite.create();
    registry = await openRegistry({ home: location.home });
    syncs = [];
    // What the replica saw when it synced: the aliases of 'm' at that moment.
    changes = new RegistryChanges(registry, { sync: async () => void syncs.push((await registry.listAliases('m')).map((a) => `${a.alias}=${a.version}`).join(',')) });
  });
  afterEach(async () => {
    await registry.close();
    await location.cleanup();
  });

  it('syncs after every change that moves an alias, once it is committed', async () => {
    await changes.register(ONNX_FIXTURES.relu, { name: 'm' });
    expect(syncs).toEqual([]);
    await changes.register(ONNX_FIXTURES.sign, { name: 'm', aliases: ['production'] });
    expect(syncs).toEqual(['production=2']);
    expect(await changes.setAlias('m', 'staging', 1)).toMatchObject({ alias: 'staging', version: 1, previous: null });
    expect(await changes.removeAlias('m', 'staging')).toMatchObject({ alias: 'staging', version: 1 });
    expect(syncs).toEqual(['production=2', 'production=2,staging=1', 'production=2']);
    await changes.deleteVersion('m', 1);
    expect(syncs).toHaveLength(3);
    await changes.deleteVersion('m', 2, { force: true });
    expect(syncs).toEqual(['production=2', 'production=2,staging=1', 'production=2', '']);
  });

  it('does not sync when the change is refused', async () => {
    await changes.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
    await expect(changes.setAlias('m', 'production', 1)).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_ALIAS_ALREADY_SET' }));
    await expect(changes.deleteVersion('m', 1)).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_VERSION_IN_USE' }));
    expect(syncs).toEqual(['production=1']);
  });

  it('works without a replica (the command line)', async () => {
    const cli = new RegistryChanges(registry);
    await cli.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
    expect(await cli.removeAlias('m', 'production')).toMatchObject({ version: 1 });
  });
});
