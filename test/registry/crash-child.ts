/**
 * Child process of crash.test.ts: registers a list of ONNX files (in an order of its own) with an
 * alias each, printing a line per step, until done or killed.
 *
 * Usage: node --import tsx crash-child.ts <home> <databaseUrl|-> <schema|-> <seed> <file>...
 */
import { openRegistry } from '../../src/registry/index.js';

const [home, url, schema, seedText, ...files] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const order = files.map((file, i) => ({ file, model: `model-${i % 3}` })).sort(() => random() - 0.5);
const registry = await openRegistry({
  home: home!,
  databaseUrl: url === '-' ? undefined : url,
  schema: schema === '-' ? undefined : schema,
  actor: { interface: 'test', actor: `crash-child-${process.pid}` },
});
process.stdout.write('ready\n');
for (const { file, model } of order) {
  const { version, created } = await registry.register(file!, { name: model, aliases: ['candidate'] });
  process.stdout.write(`${created ? 'registered' : 'found'} ${version.model}:${version.version}\n`);
}
await registry.close();
process.stdout.write('done\n');
