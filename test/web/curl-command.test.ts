/**
 * The Playground's curl command survives a real shell: run with `curl` replaced by a function
 * that prints its arguments, every value arrives as data, and nothing in a value runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { curlCommand, shellQuote } from '../../web/src/lib/curl-command.js';
import { tempDir } from '../helpers/models.js';

/** Runs `command` in sh from `dir` with a curl that prints each argument on a line of its own. */
function run(command: string, dir: string): string[] {
  const script = `curl() { for a in "$@"; do printf '%s\\n' "$a"; done; }\nBERTH_ADMIN_TOKEN=t0k3n\n${command}\n`;
  return execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' }).trimEnd().split('\n');
}

describe('the Playground curl command', () => {
  it('keeps every value data in a POSIX shell', () => {
    const dir = tempDir();
    const body = { records: [{ category: "x'; touch pwned; echo '", note: 'a "quoted" $HOME `id` \\ value', emoji: 'é ✓' }] };
    const args = run(curlCommand('http://127.0.0.1:8080', '/api/models/loans@production/predict', body, 'BERTH_ADMIN_TOKEN'), dir);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(args).toEqual([
      '-X',
      'POST',
      'http://127.0.0.1:8080/api/models/loans@production/predict',
      '-H',
      'content-type: application/json',
      '-H',
      'authorization: Bearer t0k3n',
      '-d',
      JSON.stringify(body),
    ]);
    expect(JSON.parse(args.at(-1)!)).toEqual(body);
  });

  it('quotes single quotes the POSIX way', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(run(`printf '%s\\n' ${shellQuote("a'b'c")}`, tempDir())).toEqual(["a'b'c"]);
  });
});
