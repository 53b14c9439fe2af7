/**
 * Deployments (traffic policies) in the registry, run against every metadata-store backend:
 * stored and read back, replaced and cleared in change transactions with audit entries, and
 * every bad policy refused with nothing changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_STICKY_HEADER, parseDeploymentPolicy } from '../../src/core/deployment.js';
import { type Registry, openRegistry } from '../../src/registry/index.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

describe('parseDeploymentPolicy', () => {
  it('keeps variants in order and defaults the sticky key to the route-key header', () => {
    const policy = parseDeploymentPolicy('m', { variants: [{ version: 2, weight: 20 }, { version: 1, weight: 80 }] });
    expect(policy).toEqual({ variants: [{ version: 2, weight: 20 }, { version: 1, weight: 80 }], shadows: [], sticky: { kind: 'header', name: DEFAULT_STICKY_HEADER } });
    expect(parseDeploymentPolicy('m', { variants: [{ version: 1, weight: 33.3 }, { version: 2, weight: 66.7 }], sticky: { kind: 'header', name: 'X-User' } }).sticky).toEqual({ kind: 'header', name: 'x-user' });
  });

  it.each([
    [{ variants: [{ version: 1, weight: 80 }, { version: 2, weight: 30 }] }, 'sum to 110, not 100'],
    [{ variants: [{ version: 1, weight: 50 }, { version: 1, weight: 50 }] }, 'version 1 is a variant twice'],
    [{ variants: [{ version: 1, weight: 100 }], shadows: [{ version: 1, sample: 1 }] }, 'both a variant and a shadow'],
    [{ shadows: [{ version: 2, sample: 0 }] }, 'shadows.0.sample'],
    [{ shadows: [{ version: 2, sample: 1.5 }] }, 'shadows.0.sample'],
    [{ variants: [{ version: 0, weight: 100 }] }, 'variants.0.version'],
    [{ variants: [{ version: 1, weight: -10 }, { version: 2, weight: 110 }] }, 'variants.0.weight'],
    [{}, 'neither variants nor shadows'],
    [{ variants: [{ version: 1, weight: 100 }], sticky: { kind: 'header', name: 'bad header' } }, 'not a valid HTTP header name'],
  ])('refuses %j', (input, problem) => {
    expect(() => parseDeploymentPolicy('m', input as never)).toThrow(expect.objectContaining({ code: 'BERTH_DEPLOYMENT_INVALID', message: expect.stringContaining(problem) }));
  });
});

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`deployments on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let registry: Registry;

    beforeEach(async () => {
      location = backend.create();
      registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, blobGraceMs: 0, actor: { interface: 'test', actor: 'vitest' } });
      // Versions 1 and 3 take x: FP32; version 2 (AvgPool) takes another input.
      await registry.register(ONNX_FIXTURES.sign, { name: 'm', aliases: ['production'] });
      await registry.register(ONNX_FIXTURES.avgPool, { name: 'm' });
      await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
    });
    afterEach(async () => {
      await registry.close();
      await location.cleanup();
    });

    it('has none until one is set; stores, reads, replaces and clears it with audit entries', async () => {
      expect(await registry.getDeployment('m')).toBeNull();
      expect(await registry.listDeployments()).toEqual([]);
      const before = await registry.changeSequence();

      const set = await registry.setDeployment('m', { variants: [{ version: 1, weight: 80 }, { version: 3, weight: 20 }] });
      expect(set.previous).toBeNull();
      expect(set.deployment).toMatchObject({ model: 'm', variants: [{ version: 1, weight: 80 }, { version: 3, weight: 20 }], shadows: [], sticky: { kind: 'header', name: DEFAULT_STICKY_HEADER } });
      expect(set.deployment!.seq).toBe(before + 1);
      expect(await registry.changeSequence()).toBe(before + 1);
      expect(await registry.getDeployment('m')).toEqual(set.deployment);
      expect(await registry.listDeployments()).toEqual([set.deployment]);

      const replaced = await registry.setDeployment('m', { variants: [{ version: 1, weight: 100 }], shadows: [{ version: 3, sample: 0.5 }], sticky: { kind: 'feature', name: 'user' } });
      expect(replaced.previous).toEqual(set.deployment);
      expect(await registry.getDeployment('m')).toMatchObject({ variants: [{ version: 1, weight: 100 }], shadows: [{ version: 3, sample: 0.5 }], sticky: { kind: 'feature', name: 'user' } });

      const cleared = await registry.clearDeployment('m');
      expect(cleared).toEqual({ deployment: null, previous: replaced.deployment });
      expect(await registry.getDeployment('m')).toBeNull();
      // Clearing nothing writes nothing.
      const sequence = await registry.changeSequence();
      expect(await registry.clearDeployment('m')).toEqual({ deployment: null, previous: null });
      expect(await registry.changeSequence()).toBe(sequence);

      const audit = (await registry.auditLog({ model: 'm', after: before })).map((e) => [e.action, e.interface, e.actor]);
      expect(audit).toEqual([
        ['deployment.set', 'test', 'vitest'],
        ['deployment.set', 'test', 'vitest'],
        ['deployment.clear', 'test', 'vitest'],
      ]);
      const [first] = await registry.auditLog({ model: 'm', after: before, limit: 1 });
      expect(first!.details).toMatchObject({ policy: { variants: [{ version: 1, weight: 80 }, { version: 3, weight: 20 }] }, previous: null });
    });

    it('refuses bad policies with catalogue errors and changes nothing', async () => {
      const good = await registry.setDeployment('m', { variants: [{ version: 1, weight: 50 }, { version: 3, weight: 50 }] });
      const sequence = await registry.changeSequence();
      const attempts: [() => Promise<unknown>, string][] = [
        [() => registry.setDeployment('m', { variants: [{ version: 1, weight: 60 }, { version: 3, weight: 60 }] }), 'BERTH_DEPLOYMENT_INVALID'],
        [() => registry.setDeployment('m', { variants: [{ version: 1, weight: 50 }, { version: 9, weight: 50 }] }), 'BERTH_REGISTRY_VERSION_NOT_FOUND'],
        [() => registry.setDeployment('m', { variants: [{ version: 1, weight: 100 }], shadows: [{ version: 1, sample: 1 }] }), 'BERTH_DEPLOYMENT_INVALID'],
        // Version 2 takes another input than versions 1 and 3.
        [() => registry.setDeployment('m', { variants: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }] }), 'BERTH_DEPLOYMENT_INVALID'],
        // With no variants the production version answers; it cannot be its own shadow.
        [() => registry.setDeployment('m', { shadows: [{ version: 1, sample: 1 }] }), 'BERTH_DEPLOYMENT_INVALID'],
        [() => registry.setDeployment('nope', { variants: [{ version: 1, weight: 100 }] }), 'BERTH_REGISTRY_MODEL_NOT_FOUND'],
        [() => registry.setDeployment('m', { variants: [{ version: 1, weight: 100 }] }, { expectedSeq: good.deployment!.seq - 1 }), 'BERTH_DEPLOYMENT_CHANGED'],
        [() => registry.clearDeployment('m', { expectedSeq: 0 }), 'BERTH_DEPLOYMENT_CHANGED'],
        [() => registry.getDeployment('nope'), 'BERTH_REGISTRY_MODEL_NOT_FOUND'],
      ];
      for (const [attempt, expected] of attempts) expect(await code(attempt())).toBe(expected);
      expect(await registry.changeSequence()).toBe(sequence);
      expect(await registry.getDeployment('m')).toEqual(good.deployment);
      // The right expectedSeq goes through.
      expect((await registry.setDeployment('m', { variants: [{ version: 3, weight: 100 }] }, { expectedSeq: good.deployment!.seq })).deployment!.variants).toEqual([{ version: 3, weight: 100 }]);
    });

    it('a shadow with no variants shadows the default version', async () => {
      const change = await registry.setDeployment('m', { shadows: [{ version: 3, sample: 0.25 }] });
      expect(change.deployment).toMatchObject({ variants: [], shadows: [{ version: 3, sample: 0.25 }] });
    });

    it('clears and moves an alias in one change (a promotion)', async () => {
      await registry.setDeployment('m', { variants: [{ version: 1, weight: 90 }, { version: 3, weight: 10 }] });
      const before = await registry.changeSequence();
      const change = await registry.clearDeployment('m', { setAlias: { alias: 'production', version: 3 } });
      expect(change.deployment).toBeNull();
      expect((await registry.getModel('m')).aliases).toEqual({ production: 3 });
      expect((await registry.auditLog({ after: before })).map((e) => e.action)).toEqual(['alias.set', 'deployment.clear']);
      expect(await code(registry.clearDeployment('m', { setAlias: { alias: 'production', version: 9 } }))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
      expect((await registry.getModel('m')).aliases).toEqual({ production: 3 });
    });

    it('a version in a deployment is deleted only with force, which clears the deployment', async () => {
      await registry.setDeployment('m', { variants: [{ version: 1, weight: 100 }], shadows: [{ version: 3, sample: 1 }] });
      expect(await code(registry.deleteVersion('m', 3))).toBe('BERTH_DEPLOYMENT_VERSION_IN_USE');
      expect(await registry.getDeployment('m')).not.toBeNull();
      await registry.deleteVersion('m', 3, { force: true });
      expect(await registry.getDeployment('m')).toBeNull();
      expect((await registry.auditLog({ model: 'm', order: 'desc', limit: 2 })).map((e) => e.action)).toEqual(['version.delete', 'deployment.clear']);
    });
  });
}
