/**
 * Prints the rows of docs/errors.md's table for catalogue codes the page does not list yet, so a
 * new error can be documented by pasting and then describing it. `npx tsx scripts/errors-doc.ts`
 */
import { readFileSync } from 'node:fs';
import { catalogue } from '../src/core/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
for (const entry of catalogue()) {
  if (!doc.includes(`\`${entry.code}\``)) console.log(`| \`${entry.code}\` | ${entry.httpStatus} | \`${entry.grpcStatus}\` | TODO: when it happens and what to do |`);
}
