/**
 * `berth traffic`, `berth shadow` and `berth deployment` as functions (what main.ts calls) on a
 * real SQLite registry, the tables they print, and the binary's exit codes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentCommand, parseSplit, shadowCommand, trafficCommand } from '../../src/cli/commands/deployment.js';
import { renderDeploymentStatus } from '../../src/cli/deployment-output.js';
import { buildConfig } from '../../src/core/config.js';
import { node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { openRegistry } from '../../src/registry/index.js';
import { runBerth } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { ONNX_FIXTURES } from '../helpers/store-backends.js';

function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

const home = tempDir();
const config = buildConfig({ store: { home } });

beforeAll(async () => {
  const registry = await openRegistry({ home });
  try {
    // Versions 1 and 2 take x: FP32 [7]; version 3 takes the same but cannot load.
    await registry.register(ONNX_FIXTURES.sign, { name: 'm', aliases: ['production'] });
    await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
    const broken = join(tempDir(), 'broken.onnx');
    writeFileSync(
      broken,
      encodeOnnxModel(
        onnxModel({
          nodes: [node('NoSuchOperator', ['x'], ['y'])],
          inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, [7])],
          outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, [7])],
        }),
      ),
    );
    await registry.register(broken, { name: 'm' });
  } finally {
    await registry.close();
  }
});

describe('deployment commands', () => {
  it('parses version=weight pairs and refuses anything else', () => {
    expect(parseSplit('m', ['1=80', '2=20.5'])).toEqual([{ version: 1, weight: 80 }, { version: 2, weight: 20.5 }]);
    expect(() => parseSplit('m', ['1:80'])).toThrow(expect.objectContaining({ code: 'BERTH_DEPLOYMENT_INVALID' }));
    expect(() => parseSplit('m', ['x=80'])).toThrow(expect.objectContaining({ code: 'BERTH_DEPLOYMENT_INVALID' }));
  });

  it('splits traffic, adds and removes shadows keeping the rest, and clears', async () => {
    const split = await trafficCommand({ config, model: 'm', split: ['1=80', '2=20'], stickyHeader: 'X-User' });
    expect(split.deployment).toMatchObject({ variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }], shadows: [], sticky: { kind: 'header', name: 'x-user' } });
    // A shadow cannot also be a variant.
    expect(await code(shadowCommand({ config, model: 'm', version: '2' }))).toBe('BERTH_DEPLOYMENT_INVALID');
    // The split cleared, the shadow added: the default version answers, version 2 sees half the copies.
    const cleared = await trafficCommand({ config, model: 'm', split: [], clear: true });
    expect(cleared.deployment).toBeNull();
    const shadowed = await shadowCommand({ config, model: 'm', version: '2', sample: 0.5 });
    expect(shadowed.deployment).toMatchObject({ variants: [], shadows: [{ version: 2, sample: 0.5 }] });
    // A new split keeps the shadow (and the sticky key it was given before is gone with the clear).
    expect(await code(trafficCommand({ config, model: 'm', split: ['1=100'] }))).toBeUndefined();
    const status = await deploymentCommand({ config, model: 'm' });
    expect(status.deployment).toMatchObject({ variants: [{ version: 1, weight: 100 }], shadows: [{ version: 2, sample: 0.5 }] });
    expect(status.versions!.map((v) => [v.version, v.role, v.weight, v.sample, v.requests, v.served])).toEqual([
      [1, 'variant', 100, null, 0, null],
      [2, 'shadow', null, 0.5, 0, null],
    ]);
    expect(renderDeploymentStatus(status)).toMatch(/variants {2}1=100\nshadows {3}2 \(50% of requests\)/);
    // --clear keeps the shadow; removing the last shadow clears the deployment.
    expect((await trafficCommand({ config, model: 'm', split: [], clear: true })).deployment).toMatchObject({ variants: [], shadows: [{ version: 2 }] });
    expect((await shadowCommand({ config, model: 'm', version: 2, remove: true })).deployment).toBeNull();
    expect(await code(shadowCommand({ config, model: 'm', version: 2, remove: true }))).toBe('BERTH_DEPLOYMENT_SHADOW_NOT_FOUND');
  });

  it('refuses a version that cannot load, or does not exist, and changes nothing', async () => {
    expect(await code(trafficCommand({ config, model: 'm', split: ['1=90', '3=10'] }))).toBe('BERTH_DEPLOYMENT_VERSION_UNLOADABLE');
    expect(await code(shadowCommand({ config, model: 'm', version: 3 }))).toBe('BERTH_DEPLOYMENT_VERSION_UNLOADABLE');
    expect(await code(trafficCommand({ config, model: 'm', split: ['1=90', '9=10'] }))).toBe('BERTH_REGISTRY_VERSION_NOT_FOUND');
    expect(await code(trafficCommand({ config, model: 'm', split: ['1=90', '2=20'] }))).toBe('BERTH_DEPLOYMENT_INVALID');
    expect(await code(trafficCommand({ config, model: 'm', split: ['1=100'], clear: true }))).toBe('BERTH_DEPLOYMENT_INVALID');
    expect((await deploymentCommand({ config, model: 'm' })).deployment).toBeNull();
  });

  it('exits 0 with the policy and 1 with the code from the binary', async () => {
    const ok = await runBerth(['traffic', 'm', '2=30', '1=70', '--home', home]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('variants  2=30 1=70');
    const bad = await runBerth(['traffic', 'm', '1=70', '2=20', '--home', home]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('BERTH_DEPLOYMENT_INVALID');
    const shown = await runBerth(['deployment', 'm', '--json', '--home', home]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ model: 'm', deployment: { variants: [{ version: 2, weight: 30 }, { version: 1, weight: 70 }] } });
    const cleared = await runBerth(['traffic', 'm', '--clear', '--home', home]);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toContain('Cleared the deployment of m');
  }, 60_000);
});
