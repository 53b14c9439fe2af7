/**
 * `berth build` for the loans model with `--base host`: image size (uncompressed, and compressed
 * as a registry stores it), build time with a cold layer cache, build time for further versions of
 * the same model (only the models layer changes), and, where Podman runs, the time from
 * `podman run` to a ready server.
 *
 * Run: npx tsx bench/image-build.ts   (needs npm run build first: the image carries dist/ and web/dist/)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PODMAN_AVAILABLE, PODMAN_SKIP_REASON, Podman, freePort, waitFor200 } from '../test/helpers/podman.js';
import { ensureBuild } from './ensure-build.js';
import { median } from './median.js';
import { BERTH_BIN } from './start-berth.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOANS = join(ROOT, 'examples', 'loans.csv');
const VERSIONS = 3;
const STARTS = 3;

interface Built {
  digest: string;
  size: number;
  uncompressedSize: number;
  layers: { name: string; size: number; uncompressedSize: number; cached: boolean }[];
}

function berth(args: readonly string[], home: string): { stdout: string; seconds: number } {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, [BERTH_BIN, ...args, '--home', home], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  return { stdout, seconds: (performance.now() - started) / 1000 };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  ensureBuild();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-image-'));
  const home = join(dir, 'home');
  try {
    berth(['train', LOANS, '--target', 'defaulted', '--name', 'loans', '--alias', 'production', '--json'], home);
    const cold = berth(['build', 'loans@production', '--base', 'host', '-o', join(dir, 'loans.tar'), '--json'], home);
    const built = JSON.parse(cold.stdout) as Built;
    const archiveBytes = statSync(join(dir, 'loans.tar')).size;

    // Further versions of the same model: each build rewrites only the models layer.
    const versionSeconds: number[] = [];
    for (let seed = 1; seed <= VERSIONS; seed++) {
      berth(['train', LOANS, '--target', 'defaulted', '--name', 'loans', '--register', '--seed', String(seed), '--json'], home);
      const next = berth(['build', `loans:${seed + 1}`, '--base', 'host', '-o', join(dir, `loans-${seed + 1}.tar`), '--json'], home);
      const result = JSON.parse(next.stdout) as Built;
      if (result.layers.filter((l) => !l.cached).map((l) => l.name).join() !== 'models') throw new Error(`loans:${seed + 1} rewrote more than the models layer`);
      versionSeconds.push(next.seconds);
    }

    const lines = [
      '| what | measured |',
      '| --- | --- |',
      `| image, uncompressed (sum of layers) | ${mib(built.uncompressedSize)} (${built.layers.map((l) => `${l.name} ${mib(l.uncompressedSize)}`).join(', ')}) |`,
      `| image, compressed (gzip layers, what a registry stores and a pull moves) | ${mib(built.size)}; the OCI archive ${mib(archiveBytes)} |`,
      `| build with a cold layer cache | ${cold.seconds.toFixed(1)} s |`,
      `| build of a further version of the model (${VERSIONS} versions, warm cache) | median ${median(versionSeconds).toFixed(2)} s (${versionSeconds.map((s) => s.toFixed(2)).join(', ')} s) |`,
    ];

    if (PODMAN_AVAILABLE) {
      const podman = new Podman(join(dir, 'podman'));
      await podman.exec(['load', '-i', join(dir, 'loans.tar')]);
      const startSeconds: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        const port = await freePort();
        const started = performance.now();
        const id = await podman.runDetached('localhost/loans:1', ['--read-only', '--user', '65532:65532', '-e', 'BERTH_ADMIN_TOKEN=bench-token-1234', '-e', `BERTH_PORT=${port}`]);
        if (!(await waitFor200(`http://127.0.0.1:${port}/v2/health/ready`, 120_000))) throw new Error(`container ${id} never became ready`);
        startSeconds.push((performance.now() - started) / 1000);
        await podman.exec(['rm', '-f', id]);
      }
      lines.push(`| \`podman run\` to \`/v2/health/ready\` answering 200 (${STARTS} starts, read-only root, non-root user) | median ${median(startSeconds).toFixed(2)} s (${startSeconds.map((s) => s.toFixed(2)).join(', ')} s) |`);
      await podman.exec(['rm', '-af']).catch(() => '');
    } else {
      lines.push(`| container start to ready | not measured: ${PODMAN_SKIP_REASON} |`);
    }
    const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
    console.log(`\nberth build, loans model (examples/loans.csv, berth train defaults), --base host; load average ${load}\n`);
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
