/** Prediction by named features through the registry server: every body format and every error. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let predict: string;

const setosa = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
const virginica = { sepal_length_cm: 7.7, sepal_width_cm: 3.0, petal_length_cm: 6.1, petal_width_cm: 2.3 };

beforeAll(async () => {
  server = await startRegistryServer(tempDir());
  await server.registry.register(await trainBundle('iris.csv', 'species', 'iris'), { aliases: ['production'] });
  await server.registry.register(await trainBundle('loans_reference.csv', 'defaulted', 'loans'), { aliases: ['production'] });
  await server.registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'tensors', aliases: ['production'] });
  // The server follows the registry by polling; wait until everything is live.
  for (let i = 0; i < 100 && (await fetch(`${server.url}/v2/models/tensors`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  predict = `${server.url}/api/models/iris/predict`;
});
afterAll(async () => {
  await server?.close();
});

type Prediction = { label: string; probabilities: Record<string, number> };

describe('named-feature prediction', () => {
  it('answers records with labels and probabilities per label, and a request id', async () => {
    const { status, json, headers } = await postJson(predict, { records: [setosa, virginica] });
    expect(status).toBe(200);
    expect(json.model).toBe('iris');
    expect(json.version).toBe(1);
    expect(json.requestId).toBe(headers.get('x-request-id'));
    const predictions = json.predictions as Prediction[];
    expect(predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
    for (const p of predictions) {
      expect(Object.keys(p.probabilities).sort()).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('gives the same answer for every body format', async () => {
    const records = await postJson(predict, { records: [setosa, virginica] });
    const names = Object.keys(setosa);
    const bodies: [string, string, string][] = [
      ['columns', JSON.stringify({ columns: Object.fromEntries(names.map((n) => [n, [setosa[n as keyof typeof setosa], virginica[n as keyof typeof virginica]]])) }), 'application/json'],
      ['dataframe_split', JSON.stringify({ dataframe_split: { columns: names, data: [names.map((n) => setosa[n as keyof typeof setosa]), names.map((n) => virginica[n as keyof typeof virginica])] } }), 'application/json'],
      ['dataframe_records', JSON.stringify({ dataframe_records: [setosa, virginica] }), 'application/json'],
      ['csv', `${names.join(',')}\n${names.map((n) => setosa[n as keyof typeof setosa]).join(',')}\n${names.map((n) => virginica[n as keyof typeof virginica]).join(',')}\n`, 'text/csv'],
    ];
    for (const [format, body, type] of bodies) {
      const response = await fetch(predict, { method: 'POST', headers: { 'content-type': type }, body });
      const json = (await response.json()) as { predictions: unknown };
      expect(response.status, format).toBe(200);
      expect(json.predictions, format).toEqual(records.json.predictions);
    }
  });

  it('never reads text/plain as CSV (a page on another origin can send it without a preflight): 415 naming text/csv', async () => {
    const names = Object.keys(setosa);
    const csv = `${names.join(',')}\n${names.map((n) => setosa[n as keyof typeof setosa]).join(',')}\n`;
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'TEXT/PLAIN']) {
      const response = await fetch(predict, { method: 'POST', headers: { 'content-type': type }, body: csv });
      const json = (await response.json()) as { code: string; error: string };
      expect(response.status, type).toBe(415);
      expect(json.code).toBe('BERTH_REQUEST_UNSUPPORTED_MEDIA_TYPE');
      expect(json.error).toContain('text/csv');
    }
  });

  it('addresses versions by alias and number', async () => {
    for (const ref of ['iris@production', 'iris:1']) {
      const { status, json } = await postJson(`${server.url}/api/models/${ref}/predict`, { records: [setosa] });
      expect(status, ref).toBe(200);
      expect(json.version).toBe(1);
    }
    const missing = await postJson(`${server.url}/api/models/iris@canary/predict`, { records: [setosa] });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('BERTH_ALIAS_NOT_SERVED');
    expect(missing.json.error).toContain("'production'");
  });

  it('ignores unknown fields and reports them as warnings', async () => {
    const { status, json } = await postJson(predict, { records: [{ ...setosa, colour: 'blue' }] });
    expect(status).toBe(200);
    expect(json.warnings).toEqual(["unknown field 'colour' ignored"]);
  });

  it('imputes a missing optional value as in training (loans has missing incomes)', async () => {
    const row = { age: 45, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 };
    const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records: [row, { ...row, annual_income: null }] });
    expect(status, JSON.stringify(json)).toBe(200);
    expect((json.predictions as Prediction[])[0]).toEqual((json.predictions as Prediction[])[1]);
  });

  it('answers unseen categories and numbers outside the training range with one warning per feature', async () => {
    const row = { age: 45, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 };
    const records = [row, { ...row, employment: 'astronaut' }, { ...row, employment: 'astronaut', age: 130 }, { ...row, age: 131 }];
    const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records });
    expect(status, JSON.stringify(json)).toBe(200);
    expect((json.predictions as Prediction[]).length).toBe(4);
    expect(json.warnings).toEqual([
      "feature 'employment': 'astronaut' is a category never seen in training (2 rows, first row 1); answered as none of the known categories. A schema with \"strict\": true refuses such values",
      "feature 'age': 130, 131 are outside the training range [18, 85] (2 rows, first row 2); the answer is an extrapolation. A schema with \"strict\": true refuses such values",
    ]);
    const clean = await postJson(`${server.url}/api/models/loans/predict`, { records: [row] });
    expect(clean.json.warnings).toBeUndefined();
  });

  it.each([
    ['a missing required feature', { records: [setosa, { sepal_length_cm: 5 }] }, 'BERTH_SCHEMA_FEATURE_MISSING', ['row 1', "'sepal_width_cm'"]],
    ['a wrong type', { records: [{ ...setosa, petal_length_cm: true }] }, 'BERTH_SCHEMA_TYPE_MISMATCH', ['row 0', "'petal_length_cm'"]],
    ['an unparseable number', { records: [{ ...setosa, petal_width_cm: 'wide' }] }, 'BERTH_SCHEMA_NUMBER_INVALID', ['row 0', "'petal_width_cm'", 'wide']],
    ['a row that is not an object', { records: [setosa, 5] }, 'BERTH_SCHEMA_ROW_INVALID', ['row 1']],
    ['no rows', { records: [] }, 'BERTH_REQUEST_INVALID', ['no rows']],
    ['an unknown body shape', { rows: [setosa] }, 'BERTH_REQUEST_INVALID', ['"records"']],
    ['ragged columns', { columns: { a: [1, 2], b: [1] } }, 'BERTH_REQUEST_INVALID', ['different lengths']],
  ])('400 for %s, naming the row and field', async (_case, body, code, parts) => {
    const { status, json } = await postJson(predict, body);
    expect(status).toBe(400);
    expect(json.code).toBe(code);
    for (const part of parts) expect(json.error).toContain(part);
  });

  it('400 for a model without a schema, pointing at the tensor endpoint', async () => {
    const { status, json } = await postJson(`${server.url}/api/models/tensors/predict`, { records: [{ x: 1 }] });
    expect(status).toBe(400);
    expect(json.code).toBe('BERTH_MODEL_NO_SCHEMA');
    expect(json.error).toContain('/v2/models/tensors/versions/1/infer');
  });

  it('404 for an unknown model', async () => {
    const { status, json } = await postJson(`${server.url}/api/models/nope/predict`, { records: [setosa] });
    expect(status).toBe(404);
    expect(json.code).toBe('BERTH_MODEL_NOT_FOUND');
  });
});
