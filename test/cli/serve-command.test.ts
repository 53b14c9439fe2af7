/** The `berth` binary as a user runs it: help, start-up failures, ports, signals. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const dir = tempDir();
const model = writeIdentityModel(dir, 'FP32');

describe('berth CLI', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await runBerth(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('serve');
    expect(stdout).toContain('Usage: berth');
  });

  it('help states each default once', async () => {
    for (const command of ['monitor', 'drift', 'train', 'predict']) {
      const help = (await runBerth([command, '--help'])).stdout;
      // An option's description and its text wrapped onto the lines below it, up to the next option.
      for (const option of help.split(/\n(?= {2}-)/)) {
        expect((option.match(/\(default/g) ?? []).length, `${command}: ${option}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('serve --help describes every option', async () => {
    const { code, stdout } = await runBerth(['serve', '--help']);
    expect(code).toBe(0);
    for (const option of ['--host', '--port', '--grpc-port', '--body-limit', '--workers', '--threads', '--intra-op-threads', '--max-batch-size', '--max-batch-wait-ms', '--max-queue', '--queue-timeout-ms', '--execution', '--log-level', '--config']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('name=path/to/model.onnx');
  });

  it('a missing model file stops start-up with the file, the reason and exit code 1', async () => {
    const missing = join(dir, 'missing.onnx');
    const { code, stderr } = await runBerth(['serve', missing, '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toContain(missing);
    expect(stderr).toContain('no such file');
    // A file that is not there is not an invalid model: no advice about ONNX.
    expect(stderr).toContain('BERTH_BUNDLE_NOT_FOUND');
    expect(stderr).not.toContain('valid ONNX');
  });

  it('a file that is not ONNX stops start-up with the file and onnxruntime\'s reason', async () => {
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, 'this is not a protobuf');
    const { code, stderr } = await runBerth(['serve', `ok=${model}`, garbage, '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toContain(`Could not load model from ${garbage}`);
    expect(stderr).toMatch(/protobuf|parsing|Load model/i);
  });

  it('refuses a model name with a path separator and duplicate names', async () => {
    const bad = await runBerth(['serve', `a/b=${model}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'a/b' is not a valid model name");
    const dup = await runBerth(['serve', `m=${model}`, `m=${model}`]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("another model is already named 'm'");
  });

  it('refuses invalid option values with a clear message', async () => {
    const port = await runBerth(['serve', model, '--port', 'abc']);
    expect(port.code).not.toBe(0);
    expect(port.stderr).toContain('expected an integer');
    const env = await runBerth(['serve', model], { BERTH_PORT: '99999' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('server.port');
  });

  it('--port 0 picks a free port, prints the URL, and SIGINT exits 0', async () => {
    const served = await startBerthServe([`ident=${model}`, '--port', '0']);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await fetch(`${served.url}/v2/health/live`);
    expect(await live.json()).toEqual({ live: true });
    const meta = (await (await fetch(`${served.url}/v2/models/ident`)).json()) as { name: string };
    expect(meta.name).toBe('ident');
    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);
  });

  it('a busy port stops start-up with the address and what to do, not an internal error', async () => {
    const served = await startBerthServe([`ident=${model}`, '--port', '0']);
    try {
      const port = new URL(served.url).port;
      const busy = await runBerth(['serve', model, '--port', port]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`Cannot listen for HTTP on 127.0.0.1:${port}: the port is already in use`);
      expect(busy.stderr).toContain('BERTH_SERVER_LISTEN_FAILED');
      expect(busy.stderr).not.toContain('internal error');
      const grpcBusy = await runBerth(['serve', model, '--port', '0', '--grpc-port', port]);
      expect(grpcBusy.code).toBe(1);
      expect(grpcBusy.stderr).toContain(`Cannot listen for gRPC on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      served.child.kill('SIGINT');
      await served.exited;
    }
  });

  it('takes settings from a config file, the environment and flags, flags winning', async () => {
    const config = join(dir, 'berth.json');
    writeFileSync(config, JSON.stringify({ server: { port: 1 }, log: { level: 'debug' } }));
    const served = await startBerthServe([model, '--config', config, '--port', '0'], { BERTH_LOG_LEVEL: 'warn' });
    await fetch(`${served.url}/v2/health/live`);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    // Env (warn) beat the file (debug): no debug request lines, no info lines.
    expect(served.output().stderr).not.toContain('"level":20');
    expect(served.output().stderr).not.toContain('"model loaded"');
  });
});
