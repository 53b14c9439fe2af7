/** Models trained by Berth's own trainer and packaged as bundles, for tests that need a schema. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageModel } from '../../dist/registry/index.js';
import { trainFromCsv } from '../../dist/train/index.js';
import { tempDir } from './models.js';

export const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

/**
 * Trains on a dataset of test/fixtures/datasets and packages the result as a bundle (schema,
 * pipeline, metrics); returns the bundle folder. `linear` keeps training fast.
 */
export async function trainBundle(dataset: string, target: string, name: string, algorithm: 'linear' | 'gbdt' | 'auto' = 'linear'): Promise<string> {
  const result = await trainFromCsv({ csv: { file: join(DATASETS, dataset) }, target, algorithm, seed: 7 });
  const dir = tempDir();
  const onnx = join(dir, `${name}.onnx`);
  writeFileSync(onnx, result.onnx);
  const outDir = join(dir, 'bundle');
  await packageModel(onnx, { outDir, name, schema: result.schema, pipeline: result.pipeline });
  return outDir;
}
