#!/usr/bin/env node
// Predicts with the exported model in plain Node (no Berth installation, no native addon):
//
//   node predict.mjs rows.json        rows.json: [{...}, ...] or {"records": [...]}
//   echo '[{"age": 41}]' | node predict.mjs
//
// prints the answer `POST /api/models/{ref}/predict` gives, as JSON. In your own code:
//   import { loadModel } from './model.mjs';
import { readFile } from 'node:fs/promises';
import { loadModel } from './model.mjs';

async function readInput(path) {
  if (path !== undefined) return readFile(path, 'utf8');
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

let model;
try {
  const body = JSON.parse(await readInput(process.argv[2]));
  const records = Array.isArray(body) ? body : body?.records;
  if (!Array.isArray(records)) throw new Error('the input must be a JSON array of records or {"records": [...]}');
  model = await loadModel();
  process.stdout.write(`${JSON.stringify(await model.predict(records))}\n`);
} catch (error) {
  process.stderr.write(`predict: ${error.message}${error.code ? ` [${error.code}]` : ''}\n`);
  process.exitCode = 1;
} finally {
  await model?.close();
}
