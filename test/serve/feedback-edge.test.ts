/**
 * Feedback is kept for months, so the HTTP edge refuses what should never be stored: feedback for
 * a model that does not exist, and items, ids or labels past FEEDBACK_LIMITS, each with what was
 * wrong; nothing of a refused request is stored.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_LIMITS } from '../../dist/serve/http/monitor-schemas.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
beforeAll(async () => {
  const home = tempDir();
  const { openRegistry } = await import('../../dist/registry/index.js');
  const registry = await openRegistry({ home });
  await registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'ident', aliases: ['production'] });
  await registry.register(await trainBundle('iris.csv', 'species', 'iris'), { name: 'iris', aliases: ['production'] });
  await registry.close();
  server = await startRegistryServer(home);
});
afterAll(async () => {
  await server?.close();
});

const run = promisify(execFile);
const feedback = (model: string, body: unknown) => postJson(`${server.url}/api/models/${model}/feedback`, body);

describe('feedback at the edge', () => {
  it('accepts feedback within the bounds', async () => {
    const ok = await feedback('ident', [{ requestId: 'r1', actual: 'x'.repeat(FEEDBACK_LIMITS.labelLength) }, { requestId: 'r2', actual: [1, 2, 3] }]);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ accepted: 0, unknown: ['r1', 'r2'] });
  });

  it('joins feedback sent as soon as its answer arrives', async () => {
    // The monitor records a request once the turn that answered it ends; feedback arriving before
    // then must still find the prediction, every time. The client runs in a process of its own,
    // as callers do: in this process its reads would wait for the server's turn to end.
    const client = `
      const url = process.argv[1];
      const post = async (path, body) => (await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
      const unknown = [];
      for (let i = 0; i < 100; i++) {
        const answer = await post('/api/models/iris/predict', { records: [{ sepal_length_cm: 5 + i / 100, sepal_width_cm: 3.4, petal_length_cm: 1.5, petal_width_cm: 0.2 }] });
        const joined = await post('/api/models/iris/feedback', { requestId: answer.requestId, actual: 'setosa' });
        if (joined.accepted !== 1) unknown.push(answer.requestId);
      }
      console.log(JSON.stringify(unknown));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', client, server.url]);
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('refuses feedback for a model that does not exist', async () => {
    const answer = await feedback('nope', { requestId: 'r1', actual: 1 });
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
  });

  it('refuses large labels, long ids and too many items, saying which', async () => {
    const label = await feedback('ident', [{ requestId: 'r3', actual: 'ok' }, { requestId: 'r4', actual: ['a', 'x'.repeat(100_000)] }]);
    expect(label.status).toBe(400);
    expect(label.json.code).toBe('BERTH_MONITOR_FEEDBACK_INVALID');
    expect(label.json.error).toContain('body.1.actual.1: is longer than 1024 characters');

    const id = await feedback('ident', { feedback: [{ requestId: 'x'.repeat(300), actual: 1 }] });
    expect(id.status).toBe(400);
    expect(id.json.error).toContain('body.feedback.0.requestId: must be 1 to 256 characters');

    const many = await feedback('ident', Array.from({ length: FEEDBACK_LIMITS.items + 1 }, (_, i) => ({ requestId: `r${i}`, actual: 1 })));
    expect(many.status).toBe(400);
    expect(many.json.error).toContain(`send at most ${FEEDBACK_LIMITS.items} per request`);

    // Nothing of the refused requests was stored, not even their valid items.
    // r1 and r2, from the first test; r3 was valid but came in a refused request.
    const performance = (await (await fetch(`${server.url}/api/models/ident/monitor/performance?from=1h`)).json()) as { unmatched: number };
    expect(performance.unmatched).toBe(2);
  });
});
