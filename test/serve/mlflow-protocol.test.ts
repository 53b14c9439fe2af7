/**
 * MLflow's scoring protocol (`/invocations`, `/ping`, `/version`) as MLflow clients call it, on a
 * registry server whose answers are checked against Berth's own named-feature API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

const setosa = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
const virginica = { sepal_length_cm: 7.7, sepal_width_cm: 3.0, petal_length_cm: 6.1, petal_width_cm: 2.3 };
const columns = Object.keys(setosa);

let one: Awaited<ReturnType<typeof startRegistryServer>>;
let two: Awaited<ReturnType<typeof startRegistryServer>>;

async function live(url: string, model: string): Promise<void> {
  for (let i = 0; i < 100 && (await fetch(`${url}/v2/models/${model}`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  const iris = await trainBundle('iris.csv', 'species', 'iris');
  const diabetes = await trainBundle('diabetes.csv', 'progression', 'diabetes');
  one = await startRegistryServer(tempDir());
  await one.registry.register(iris, { aliases: ['production'] });
  two = await startRegistryServer(tempDir(), { server: { mlflowModel: 'diabetes' } });
  await two.registry.register(iris, { aliases: ['production'] });
  await two.registry.register(diabetes, { aliases: ['production'] });
  await Promise.all([live(one.url, 'iris'), live(two.url, 'iris'), live(two.url, 'diabetes')]);
}, 180_000);
afterAll(async () => {
  await one?.close();
  await two?.close();
});

describe('MLflow scoring protocol', () => {
  it('answers every MLflow input format with one label per row, the labels Berth predicts', async () => {
    const expected = ((await postJson(`${one.url}/api/models/iris/predict`, { records: [setosa, virginica] })).json.predictions as { label: string }[]).map((p) => p.label);
    expect(expected).toEqual(['setosa', 'virginica']);
    for (const body of [
      { dataframe_split: { columns, data: [Object.values(setosa), Object.values(virginica)] } },
      { dataframe_records: [setosa, virginica] },
      { instances: [setosa, virginica] },
      { inputs: Object.fromEntries(columns.map((c) => [c, [setosa[c as keyof typeof setosa], virginica[c as keyof typeof virginica]]])) },
    ]) {
      const { status, json } = await postJson(`${one.url}/invocations`, body);
      expect(status, JSON.stringify(json)).toBe(200);
      expect(json).toEqual({ predictions: expected });
    }
    const csv = await fetch(`${one.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `${columns.join(',')}\n${Object.values(setosa).join(',')}\n${Object.values(virginica).join(',')}\n`,
    });
    expect(await csv.json()).toEqual({ predictions: expected });
    // text/plain is no CSV: a page on another origin can send it without a preflight.
    const plain = await fetch(`${one.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `${columns.join(',')}\n${Object.values(setosa).join(',')}\n`,
    });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ code: 'BERTH_REQUEST_UNSUPPORTED_MEDIA_TYPE', error: expect.stringContaining('text/csv') });
  });

  it('answers ping and version, and a regressor with numbers', async () => {
    expect((await fetch(`${one.url}/ping`)).status).toBe(200);
    expect(await (await fetch(`${one.url}/version`)).text()).toBe('test');
    const row = { age: 59, sex: 2, bmi: 32.1, bp: 101, s1: 157, s2: 93.2, s3: 38, s4: 4, s5: 4.8598, s6: 87 };
    const { status, json } = await postJson(`${two.url}/invocations`, { dataframe_records: [row] });
    expect(status, JSON.stringify(json)).toBe(200);
    const predictions = json.predictions as number[];
    expect(predictions).toHaveLength(1);
    expect(typeof predictions[0]).toBe('number');
    const own = (await postJson(`${two.url}/api/models/diabetes/predict`, { records: [row] })).json.predictions as { value: number }[];
    expect(predictions[0]).toBe(own[0]!.value);
  });

  it('says which model to choose when several are served and none is set, and refuses bad bodies as 400', async () => {
    const twoModels = await startRegistryServer(tempDir());
    try {
      await twoModels.registry.register(await trainBundle('iris.csv', 'species', 'iris'), { aliases: ['production'] });
      await twoModels.registry.register(await trainBundle('wine.csv', 'cultivar', 'wine'), { aliases: ['production'] });
      await Promise.all([live(twoModels.url, 'iris'), live(twoModels.url, 'wine')]);
      const { status, json } = await postJson(`${twoModels.url}/invocations`, { dataframe_records: [setosa] });
      expect(status).toBe(404);
      expect(json).toMatchObject({ code: 'BERTH_MLFLOW_MODEL_UNSET', error: expect.stringContaining("'iris', 'wine'") });
    } finally {
      await twoModels.close();
    }
    const bad = await postJson(`${one.url}/invocations`, { instances: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('BERTH_REQUEST_INVALID');
  });
});
