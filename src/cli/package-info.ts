/** Berth's own package metadata, read once from package.json. */
import { readFileSync } from 'node:fs';

/** The installed Berth version. */
export function berthVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
