/**
 * Podman for tests that run images: as root with runc, host networking and storage under the
 * test's own folder (this machine kind has no working crun or bridge network). Suites skip with
 * PODMAN_SKIP_REASON where Podman is missing or not run as root.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when Podman and runc are installed and the tests run as root. */
export const PODMAN_AVAILABLE =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  spawnSync('podman', ['--version']).status === 0 &&
  spawnSync('runc', ['--version']).status === 0;

/** Why Podman suites are skipped. */
export const PODMAN_SKIP_REASON =
  'skipped: needs podman and runc, run as root (Debian: apt-get install podman runc uidmap slirp4netns fuse-overlayfs; .ci/run installs them)';

/** Debian's registry binary (package docker-registry), for push tests. */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Podman with its storage in `dir`. */
export class Podman {
  readonly #base: string[];
  readonly #env: Record<string, string>;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'containers.conf');
    writeFileSync(conf, '[containers]\nnetns="host"\n');
    this.#base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
    this.#env = { ...(process.env as Record<string, string>), CONTAINERS_CONF: conf };
  }

  /** Runs `podman <args>` and returns its standard output (trimmed); throws with its output on failure. */
  async exec(args: readonly string[], timeoutMs = 120_000): Promise<string> {
    try {
      const { stdout } = await run('podman', [...this.#base, ...args], { env: this.#env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
      return stdout.trim();
    } catch (error) {
      const e = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`podman ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  }

  /** `podman run -d` with the options this machine needs; returns the container id. */
  runDetached(image: string, options: readonly string[], args: readonly string[] = []): Promise<string> {
    return this.exec(['run', '-d', ...RUN_OPTIONS, ...options, image, ...args]);
  }

  /** `podman run --rm` to completion; returns its standard output. */
  runToEnd(image: string, options: readonly string[], args: readonly string[] = []): Promise<string> {
    return this.exec(['run', '--rm', ...RUN_OPTIONS, ...options, image, ...args]);
  }
}

/** What every `podman run` needs on this machine kind. */
const RUN_OPTIONS = ['--runtime', 'runc', '--network', 'host', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200 or `timeoutMs` passes; returns whether it did. */
export async function waitFor200(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
