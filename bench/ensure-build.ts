/** The bench serves with the built CLI; this makes sure dist/ is there and not older than src/. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BERTH_BIN } from './start-berth.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the server when dist/cli/main.js is missing or a file in src/ is newer: with
 * `npm run build:server` where package.json has it (the dashboard is not needed), else `npm run build`.
 */
export function ensureBuild(): void {
  const built = existsSync(BERTH_BIN) ? statSync(BERTH_BIN).mtimeMs : 0;
  if (built > 0 && newestMtime(join(ROOT, 'src')) <= built) return;
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const script = 'build:server' in scripts ? 'build:server' : 'build';
  console.log(`${built === 0 ? 'dist/ is missing' : 'src/ changed since the last build'}: npm run ${script}`);
  execFileSync('npm', ['run', script], { cwd: ROOT, stdio: 'inherit' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
