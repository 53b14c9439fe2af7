/**
 * Whether versions can be loaded, checked where no server runs (the command line): each bundle is
 * opened from the blob store (its digest verified) and its model opened by onnxruntime the way a
 * server opens it (legacy models rewritten), then released.
 */
import { Errors } from '../core/errors.js';
import type { Registry } from '../registry/index.js';
import { openSession } from '../runtime/onnx-runtime.js';

/** Throws BERTH_DEPLOYMENT_VERSION_UNLOADABLE for the first version that cannot load (the registry's 404 for one that does not exist). */
export async function checkVersionsLoad(registry: Registry, model: string, versions: readonly number[]): Promise<void> {
  for (const version of versions) {
    let path: string;
    try {
      path = (await registry.openBundle({ model, kind: 'version', version })).bundle.modelPath;
    } catch (error) {
      if (Errors.REGISTRY_VERSION_NOT_FOUND.is(error) || Errors.REGISTRY_MODEL_NOT_FOUND.is(error)) throw error;
      throw unloadable(model, version, error);
    }
    try {
      const { probe } = await openSession(path, 1);
      await probe.release();
    } catch (error) {
      throw unloadable(model, version, error);
    }
  }
}

function unloadable(model: string, version: number, error: unknown) {
  return Errors.DEPLOYMENT_VERSION_UNLOADABLE.create(model, version, error instanceof Error ? error.message : String(error), { cause: error });
}
