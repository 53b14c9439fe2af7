/** A server under test, run as a child process so it never shares a core's event loop with the load generator. */
import { type ChildProcess, spawn } from 'node:child_process';

/** A started server. */
export interface ServerProcess {
  readonly label: string;
  readonly url: string;
  /** Process id of the server's root process (its workers are its descendants). */
  readonly pid: number;
  /** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Everything it printed so far (for error messages). */
  output(): string;
  /** How it ended (`exit code 1`, `signal SIGSEGV`) if it has; undefined while it runs. */
  ended(): string | undefined;
}

/** Options of {@link startServerProcess}. */
export interface StartOptions {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The server's base URL: given when known in advance, or read from its output. */
  readonly url?: string;
  /** Finds the base URL in the output when `url` is not given. */
  readonly urlPattern?: RegExp;
  /** A GET path that answers 2xx once the server takes requests. */
  readonly readyPath: string;
  readonly startTimeoutMs?: number;
}

// Servers run in their own process groups and would outlive a bench that crashes or is
// interrupted; whatever is still running when the bench exits is killed.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

/** Starts the server and resolves once `readyPath` answers 2xx. */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const child = spawn(options.command, [...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it also stops the worker processes it forked.
    detached: true,
  });
  live.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let ending: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      ending = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve(code);
    }),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  const fail = (why: string) => {
    killGroup(child, 'SIGKILL');
    return new Error(`${options.label} ${why}\n${output.slice(-4000)}`);
  };
  let url = options.url;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw fail(`exited (${exitCode}) before it was ready`);
    url ??= options.urlPattern?.exec(output)?.[1];
    if (url !== undefined && (await answers(url + options.readyPath))) {
      return serverProcess(options.label, url, child, exited, () => output, () => ending);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw fail(`was not ready after ${options.startTimeoutMs ?? 120_000} ms`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function serverProcess(
  label: string,
  url: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
  ended: () => string | undefined,
): ServerProcess {
  let stopped: Promise<void> | undefined;
  return {
    label,
    url,
    pid: child.pid!,
    output,
    ended,
    stop: (graceMs = 10_000) =>
      (stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

/** Signals the server's whole process group (the server and the workers it forked). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}
