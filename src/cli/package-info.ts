/** Berth's own package metadata, read once from package.json. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The installed Berth version. */
export function berthVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The folder of the installed Berth package (the one with its package.json). */
export function berthPackageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
}
