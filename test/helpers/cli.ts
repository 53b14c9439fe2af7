/** Runs the built `berth` binary (dist/cli/main.js) as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';

export const BERTH_BIN = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/** Runs berth to completion and returns its exit code and output. */
export function runBerth(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
  return startBerth(args, env, timeoutMs).result;
}

/** Starts berth: its process id at once, its exit code and output once it has finished. */
export function startBerth(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, ...env } });
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { pid: child.pid!, result };
}

/** A `berth serve` process that has printed its URL. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
}

/** Starts `berth serve ...` and waits for the line with its URL. */
export function startBerthServe(args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH_BIN, 'serve', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const match = /at (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ child, url: match[1]!, exited, output: () => ({ stdout, stderr }) });
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    void exited.then((code) => reject(new Error(`berth serve exited (${code}) before printing its URL\n${stdout}\n${stderr}`)));
  });
}
