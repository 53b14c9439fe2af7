/**
 * Berth's Open Inference Protocol checks (REST, JSON and the binary tensor data extension): health,
 * metadata, every datatype both ways with the values at the edges of each type, output selection,
 * and the status and body of every class of bad request. `berth conformance <url>` runs them
 * against any server; test/serve/oip-conformance.test.ts runs the same list against Berth.
 */
import { DATATYPES, type Datatype } from '../core/datatypes.js';
import { type ExactJson, parseExactJson } from '../client/exact-json.js';
import { HEADER_LENGTH, encodeInferRequest, tensorToBinary } from '../client/oip-wire.js';
import { type TensorValues, tensor } from '../client/tensors.js';
import { type CheckArea, type CheckContext, type ConformanceCheck, type HttpAnswer, jsonObject, must, mustEqual, show } from './conformance-check.js';
import { PAIR_MODEL, identityModelName } from './conformance-models.js';

/** Six values per datatype (shape [2, 3]) at the edges of each type, as JSON text. */
export const SAMPLES: Readonly<Record<Datatype, string>> = {
  BOOL: '[true,false,true,false,false,true]',
  UINT8: '[0,1,127,128,254,255]',
  UINT16: '[0,1,32767,32768,65534,65535]',
  UINT32: '[0,1,2147483647,2147483648,4294967294,4294967295]',
  UINT64: '[0,1,9007199254740993,9223372036854775808,18446744073709551614,18446744073709551615]',
  INT8: '[-128,-1,0,1,126,127]',
  INT16: '[-32768,-1,0,1,32766,32767]',
  INT32: '[-2147483648,-1,0,1,2147483646,2147483647]',
  INT64: '[-9223372036854775808,-9007199254740993,-1,0,9007199254740993,9223372036854775807]',
  FP16: '[0,-2,0.5,1.5,65504,-65504]',
  FP32: '[0,-1.5,3.4028234663852886e+38,1.1754943508222875e-38,"NaN","-Infinity"]',
  FP64: '[0,-1.5,1.7976931348623157e+308,5e-324,"Infinity","NaN"]',
  BYTES: '["","a","héllo","日本語","with \\"quotes\\"","tab\\tnewline\\n"]',
};

/** FP16 bit patterns of the FP16 sample. */
const FP16_BITS = [0x0000, 0xc000, 0x3800, 0x3e00, 0x7bff, 0xfbff];

const JSON_TYPE = { 'content-type': 'application/json' };

function check(area: CheckArea, id: string, title: string, models: readonly string[], run: (context: CheckContext) => Promise<void>, berthOnly = false): ConformanceCheck {
  return { id: `${area}.${id}`, area, title, models, berthOnly, run };
}

function infer(context: CheckContext, model: string, body: string | Uint8Array, headers: Record<string, string> = JSON_TYPE): Promise<HttpAnswer> {
  return context.send(`/v2/models/${model}/infer`, { method: 'POST', body, headers });
}

/** Flattens nested JSON arrays. */
function flat(data: ExactJson): ExactJson[] {
  return Array.isArray(data) ? data.flatMap(flat) : [data];
}

type Output = { name: string; datatype: string; shape: number[]; data?: ExactJson; parameters?: Record<string, ExactJson> };

/** The outputs of a successful JSON (or binary-header) answer, checked for the protocol's fields. */
function outputsOf(answer: HttpAnswer, model: string, header?: { [key: string]: ExactJson }): Output[] {
  const body = header ?? jsonObject(answer, `POST /v2/models/${model}/infer`);
  must(answer.status === 200, `expected 200, got ${answer.status}: ${show(answer.text, 300)}`);
  mustEqual(body.model_name, model, 'model_name');
  must(Array.isArray(body.outputs), `'outputs' must be an array, got ${show(body.outputs)}`);
  for (const output of body.outputs as Output[]) {
    must(typeof output.name === 'string', `every output needs a string 'name': ${show(output)}`);
    must(typeof output.datatype === 'string', `output '${output.name}' needs a string 'datatype'`);
    must(Array.isArray(output.shape) && output.shape.every((d) => typeof d === 'number'), `output '${output.name}' needs a 'shape' of numbers`);
  }
  return body.outputs as Output[];
}

function outputNamed(outputs: Output[], name: string): Output {
  const found = outputs.find((o) => o.name === name);
  must(found, `no output '${name}' in the answer; it has ${show(outputs.map((o) => o.name))}`);
  return found;
}

/** A value as a comparable key: integers as BigInt, the non-finite strings as numbers. */
function normalized(datatype: Datatype, value: ExactJson): unknown {
  if (datatype === 'BOOL' || datatype === 'BYTES') return value;
  if (datatype.startsWith('FP')) {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    return typeof value === 'number' ? value : `not a number: ${show(value)}`;
  }
  // Integers must travel as JSON numbers; a string would be a different value in the protocol.
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : typeof value === 'bigint' ? value : `not an integer: ${show(value)}`;
}

/** The binary answer split into its JSON header and each binary output's bytes. */
function splitBinary(answer: HttpAnswer, model: string): { header: { [key: string]: ExactJson }; outputs: Output[]; binaries: Map<string, Uint8Array> } {
  must(answer.status === 200, `expected 200, got ${answer.status}: ${show(answer.text, 300)}`);
  const lengthText = answer.headers.get(HEADER_LENGTH);
  must(lengthText !== null, `a binary answer needs the Inference-Header-Content-Length header (content-type ${answer.headers.get('content-type')})`);
  const length = Number(lengthText);
  must(Number.isSafeInteger(length) && length > 0 && length <= answer.bytes.byteLength, `Inference-Header-Content-Length '${lengthText}' does not fit the ${answer.bytes.byteLength}-byte body`);
  const header = parseExactJson(new TextDecoder().decode(answer.bytes.subarray(0, length)));
  must(typeof header === 'object' && header !== null && !Array.isArray(header), 'the binary answer must start with a JSON object');
  const outputs = outputsOf(answer, model, header as { [key: string]: ExactJson });
  const binaries = new Map<string, Uint8Array>();
  let offset = length;
  for (const output of outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    must(typeof size === 'number' && offset + size <= answer.bytes.byteLength, `output '${output.name}' has binary_data_size ${show(size)}, past the end of the body`);
    must(output.data === undefined, `output '${output.name}' has both 'data' and binary_data_size`);
    binaries.set(output.name, answer.bytes.subarray(offset, offset + size));
    offset += size;
  }
  mustEqual(answer.bytes.byteLength - offset, 0, 'bytes after the last binary output');
  return { header: header as { [key: string]: ExactJson }, outputs, binaries };
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  must(actual !== undefined, `${what}: no binary data`);
  must(
    actual.byteLength === expected.byteLength && actual.every((b, i) => b === expected[i]),
    `${what}: expected ${expected.byteLength} bytes ${show(Array.from(expected.subarray(0, 24)))}…, got ${actual.byteLength} bytes ${show(Array.from(actual.subarray(0, 24)))}…`,
  );
}

function binaryBody(inputs: readonly { name: string; datatype: Datatype; shape: number[]; values: TensorValues }[], extra: { outputs?: { name: string; parameters?: Record<string, unknown> }[]; parameters?: Record<string, unknown> } = {}) {
  const encoded = encodeInferRequest({
    inputs: inputs.map((i) => tensor(i.name, i.datatype, i.shape, i.values)),
    ...(extra.outputs ? { outputs: extra.outputs } : {}),
    ...(extra.parameters ? { parameters: extra.parameters } : {}),
    binaryInputs: true,
  });
  return { body: encoded.body as Uint8Array, headers: encoded.headers };
}

// --- health and metadata ---

const FP32_MODEL = identityModelName('FP32');

const HEALTH_AND_METADATA: ConformanceCheck[] = [
  check('health', 'live', 'GET /v2/health/live answers 200 (and live: true when it has a body)', [], async (context) => {
    const answer = await context.send('/v2/health/live');
    mustEqual(answer.status, 200, 'status');
    if (answer.json !== undefined) mustEqual(jsonObject(answer, 'live').live, true, 'live');
  }),
  check('health', 'ready', 'GET /v2/health/ready answers 200 (and ready: true when it has a body)', [], async (context) => {
    const answer = await context.send('/v2/health/ready');
    mustEqual(answer.status, 200, 'status');
    if (answer.json !== undefined) mustEqual(jsonObject(answer, 'ready').ready, true, 'ready');
  }),
  check('health', 'model-ready', 'GET /v2/models/{name}/ready answers 200 for a served model', [FP32_MODEL], async (context) => {
    mustEqual((await context.send(`/v2/models/${FP32_MODEL}/ready`)).status, 200, 'status');
  }),
  check('health', 'unknown-model-ready', 'GET /v2/models/{name}/ready of a model not served is a 4xx', [], async (context) => {
    const { status } = await context.send('/v2/models/conformance_not_served/ready');
    must(status >= 400 && status < 500, `expected a 4xx, got ${status}`);
  }),
  check('metadata', 'server', 'GET /v2 names the server, its version and its extensions', [], async (context) => {
    const answer = await context.send('/v2');
    mustEqual(answer.status, 200, 'status');
    const body = jsonObject(answer, 'GET /v2');
    must(typeof body.name === 'string' && body.name.length > 0, `'name' must be a string, got ${show(body.name)}`);
    must(typeof body.version === 'string', `'version' must be a string, got ${show(body.version)}`);
    must(Array.isArray(body.extensions) && body.extensions.every((e) => typeof e === 'string'), `'extensions' must be an array of strings, got ${show(body.extensions)}`);
    if (context.profile === 'berth') mustEqual(body.extensions.includes('binary_tensor_data'), true, "'binary_tensor_data' among the extensions");
  }),
  check('metadata', 'model', 'GET /v2/models/{name} lists inputs and outputs with -1 for dynamic dimensions', [FP32_MODEL], async (context) => {
    const answer = await context.send(`/v2/models/${FP32_MODEL}`);
    mustEqual(answer.status, 200, 'status');
    const body = jsonObject(answer, 'model metadata');
    mustEqual(body.name, FP32_MODEL, 'name');
    must(typeof body.platform === 'string', `'platform' must be a string, got ${show(body.platform)}`);
    if (body.versions !== undefined) must(Array.isArray(body.versions) && body.versions.every((v) => typeof v === 'string'), `'versions' must be strings, got ${show(body.versions)}`);
    mustEqual(body.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], 'inputs');
    mustEqual(body.outputs, [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }], 'outputs');
    if (context.profile === 'berth') {
      mustEqual(body.versions, ['1'], 'versions');
      mustEqual(body.platform, 'onnx_onnxv1', 'platform');
    }
  }),
  check('metadata', 'model-version', 'GET /v2/models/{name}/versions/{v} answers for a listed version', [FP32_MODEL], async (context) => {
    const body = jsonObject(await context.send(`/v2/models/${FP32_MODEL}`), 'model metadata');
    const version = Array.isArray(body.versions) && typeof body.versions[0] === 'string' ? body.versions[0] : '1';
    const answer = await context.send(`/v2/models/${FP32_MODEL}/versions/${version}`);
    mustEqual(answer.status, 200, 'status');
    mustEqual(jsonObject(answer, 'version metadata').inputs, body.inputs, 'inputs');
  }),
  check('metadata', 'every-datatype', 'every datatype is advertised under its protocol name', DATATYPES.map(identityModelName), async (context) => {
    for (const datatype of DATATYPES) {
      const body = jsonObject(await context.send(`/v2/models/${identityModelName(datatype)}`), `${datatype} metadata`);
      mustEqual([body.inputs, body.outputs], [[{ name: 'x', datatype, shape: [-1, 3] }], [{ name: 'y', datatype, shape: [-1, 3] }]], `${datatype} inputs and outputs`);
    }
  }),
  check('metadata', 'unknown-model', 'GET /v2/models/{name} of a model not served is a 404 with an error', [], async (context) => {
    const answer = await context.send('/v2/models/conformance_not_served');
    mustEqual(answer.status, 404, 'status');
    const body = jsonObject(answer, 'error');
    must(typeof body.error === 'string' && body.error.length > 0, `'error' must be a message, got ${show(body.error)}`);
    if (context.profile === 'berth') mustEqual(body.code, 'BERTH_MODEL_NOT_FOUND', 'code');
  }),
];

// --- every datatype in JSON and in binary ---

const DATATYPE_CHECKS: ConformanceCheck[] = DATATYPES.flatMap((datatype) => {
  const model = identityModelName(datatype);
  const expected = flat(parseExactJson(SAMPLES[datatype]));
  return [
    check('datatypes', `json.${datatype}`, `${datatype} round-trips exactly through JSON`, [model], async (context) => {
      const answer = await infer(context, model, `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2,3],"data":${SAMPLES[datatype]}}]}`);
      const y = outputNamed(outputsOf(answer, model), 'y');
      mustEqual([y.datatype, y.shape], [datatype, [2, 3]], 'datatype and shape');
      must(y.data !== undefined, "output 'y' has no 'data'");
      mustEqual(flat(y.data).map((v) => normalized(datatype, v)), expected.map((v) => normalized(datatype, v)), 'values');
      // Berth writes the data flat, with every digit, and the non-finite floats as strings.
      if (context.profile === 'berth') must(answer.text.endsWith(`"data":${SAMPLES[datatype]}}]}`), `data written as ${show(answer.text.slice(-200))}`);
    }),
    check('datatypes', `binary.${datatype}`, `${datatype} round-trips exactly through binary tensor data`, [model], async (context) => {
      const { body, headers } = binaryBody([{ name: 'x', datatype, shape: [2, 3], values: expected as TensorValues }], { outputs: [{ name: 'y', parameters: { binary_data: true } }] });
      const answer = await infer(context, model, body, headers);
      mustEqual(answer.headers.get('content-type')?.split(';')[0], 'application/octet-stream', 'content-type');
      const { outputs, binaries } = splitBinary(answer, model);
      const y = outputNamed(outputs, 'y');
      mustEqual([y.datatype, y.shape], [datatype, [2, 3]], 'datatype and shape');
      sameBytes(binaries.get('y'), tensorToBinary(tensor('x', datatype, [2, 3], expected as TensorValues)), "output 'y'");
    }),
  ];
});

const DATATYPE_EXTRAS: ConformanceCheck[] = [
  check('datatypes', 'fp16-json-to-binary', 'FP16 numbers sent in JSON come back as their 16-bit patterns in binary', [identityModelName('FP16')], async (context) => {
    const model = identityModelName('FP16');
    const answer = await infer(context, model, `{"inputs":[{"name":"x","datatype":"FP16","shape":[2,3],"data":${SAMPLES.FP16}}],"parameters":{"binary_data_output":true}}`);
    const bytes = splitBinary(answer, model).binaries.get('y');
    must(bytes !== undefined, "output 'y' is not binary");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    mustEqual(Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true)), FP16_BITS, 'bit patterns');
  }),
  check('datatypes', 'nested-data', 'data may be nested arrays (row-major)', [identityModelName('INT32')], async (context) => {
    const model = identityModelName('INT32');
    const answer = await infer(context, model, '{"inputs":[{"name":"x","datatype":"INT32","shape":[2,3],"data":[[1,2,3],[4,5,6]]}]}');
    const y = outputNamed(outputsOf(answer, model), 'y');
    mustEqual(flat(y.data ?? null), [1, 2, 3, 4, 5, 6], 'values');
  }),
];

const BERTH_DATATYPE_EXTRAS: ConformanceCheck[] = [
  check('datatypes', 'int64-decimal-strings', '64-bit integers may be sent as decimal strings (a Berth extension)', [identityModelName('INT64')], async (context) => {
    const model = identityModelName('INT64');
    const answer = await infer(context, model, JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT64', shape: [2, 3], data: [['-9223372036854775808', '1', 2], [3, '4', '9223372036854775807']] }] }));
    outputsOf(answer, model);
    must(answer.text.endsWith('"data":[-9223372036854775808,1,2,3,4,9223372036854775807]}]}'), `data written as ${show(answer.text.slice(-120))}`);
  }, true),
];

// --- output selection and the binary extension ---

const A = { name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] };
const B = { name: 'b', datatype: 'FP32', shape: [1, 2], data: [3, 4] };

const OUTPUT_CHECKS: ConformanceCheck[] = [
  check('outputs', 'all-by-default', 'without outputs, every output is answered, with the id echoed', [PAIR_MODEL], async (context) => {
    const answer = await infer(context, PAIR_MODEL, JSON.stringify({ id: 'conformance-1', inputs: [A, B] }));
    const outputs = outputsOf(answer, PAIR_MODEL);
    mustEqual(jsonObject(answer, 'answer').id, 'conformance-1', 'id');
    mustEqual(outputs.map((o) => o.name).sort(), ['product', 'sum'], 'output names');
    mustEqual(flat(outputNamed(outputs, 'sum').data ?? null), [4, 6], 'sum');
    mustEqual(flat(outputNamed(outputs, 'product').data ?? null), [3, 8], 'product');
  }),
  check('outputs', 'select-one', "'outputs' selects which outputs are answered", [PAIR_MODEL], async (context) => {
    const outputs = outputsOf(await infer(context, PAIR_MODEL, JSON.stringify({ inputs: [A, B], outputs: [{ name: 'product' }] })), PAIR_MODEL);
    mustEqual(outputs.map((o) => o.name), ['product'], 'output names');
    mustEqual(flat(outputs[0]!.data ?? null), [3, 8], 'product');
  }),
  check('binary', 'all-outputs', 'binary_data_output answers every output as binary data, in order', [PAIR_MODEL], async (context) => {
    const answer = await infer(context, PAIR_MODEL, JSON.stringify({ inputs: [A, B], parameters: { binary_data_output: true } }));
    const { outputs, binaries } = splitBinary(answer, PAIR_MODEL);
    mustEqual(outputs.map((o) => o.name).sort(), ['product', 'sum'], 'output names');
    sameBytes(binaries.get('sum'), tensorToBinary(tensor('sum', 'FP32', [1, 2], [4, 6])), "output 'sum'");
    sameBytes(binaries.get('product'), tensorToBinary(tensor('product', 'FP32', [1, 2], [3, 8])), "output 'product'");
  }),
  check('binary', 'per-output', 'binary_data on one requested output mixes binary and JSON outputs', [PAIR_MODEL], async (context) => {
    const { body, headers } = binaryBody(
      [{ name: 'a', datatype: 'FP32', shape: [1, 2], values: [1, 2] }, { name: 'b', datatype: 'FP32', shape: [1, 2], values: [3, 4] }],
      { outputs: [{ name: 'sum', parameters: { binary_data: true } }, { name: 'product', parameters: { binary_data: false } }] },
    );
    const { outputs, binaries } = splitBinary(await infer(context, PAIR_MODEL, body, headers), PAIR_MODEL);
    sameBytes(binaries.get('sum'), tensorToBinary(tensor('sum', 'FP32', [1, 2], [4, 6])), "output 'sum'");
    mustEqual(flat(outputNamed(outputs, 'product').data ?? null), [3, 8], 'product in JSON');
  }),
  check('binary', 'inputs-json-answer', 'binary inputs without binary outputs get a JSON answer', [PAIR_MODEL], async (context) => {
    const { body, headers } = binaryBody([{ name: 'a', datatype: 'FP32', shape: [1, 2], values: [1, 2] }, { name: 'b', datatype: 'FP32', shape: [1, 2], values: [3, 4] }]);
    const answer = await infer(context, PAIR_MODEL, body, headers);
    mustEqual(answer.headers.get('content-type')?.split(';')[0], 'application/json', 'content-type');
    mustEqual(flat(outputNamed(outputsOf(answer, PAIR_MODEL), 'sum').data ?? null), [4, 6], 'sum');
  }),
];

// --- errors: status and body of every class of bad request ---

interface ErrorCase {
  readonly id: string;
  readonly title: string;
  readonly model: string;
  readonly path?: string;
  readonly body: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** Berth's catalogue code and a fragment of its message (the `berth` profile). */
  readonly code: string;
  readonly message: string | readonly string[];
}

function binaryWithHeader(header: string, binary: Uint8Array): { body: Uint8Array; headers: Record<string, string> } {
  const head = new TextEncoder().encode(header);
  const body = new Uint8Array(head.byteLength + binary.byteLength);
  body.set(head);
  body.set(binary, head.byteLength);
  return { body, headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.byteLength) } };
}

const P = PAIR_MODEL;
const j = JSON.stringify;
const ERROR_CASES: ErrorCase[] = [
  { id: 'invalid-json', title: 'invalid JSON', model: P, body: '{"inputs": [', status: 400, code: 'BERTH_REQUEST_INVALID_JSON', message: 'not valid JSON' },
  { id: 'array-body', title: 'a JSON array body', model: P, body: '[1,2]', status: 400, code: 'BERTH_REQUEST_INVALID', message: "'inputs' array" },
  { id: 'no-inputs', title: 'inputs missing', model: P, body: '{"id":"x"}', status: 400, code: 'BERTH_REQUEST_INVALID', message: "'inputs' must be an array" },
  { id: 'inputs-object', title: 'inputs not an array', model: P, body: '{"inputs":{"a":1}}', status: 400, code: 'BERTH_REQUEST_INVALID', message: "'inputs' must be an array" },
  { id: 'input-no-name', title: 'an input without a name', model: P, body: '{"inputs":[{"datatype":"FP32","shape":[1,2],"data":[1,2]}]}', status: 400, code: 'BERTH_REQUEST_INVALID', message: "string 'name'" },
  { id: 'input-no-data', title: 'an input without data', model: P, body: '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,2]}]}', status: 400, code: 'BERTH_REQUEST_INVALID', message: "no 'data'" },
  { id: 'id-not-string', title: 'a non-string id', model: P, body: j({ id: 5, inputs: [A, B] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: "'id' must be a string" },
  { id: 'unknown-input', title: 'an unknown input', model: P, body: j({ inputs: [A, B, { ...A, name: 'c' }] }), status: 400, code: 'BERTH_INPUT_UNKNOWN', message: `Input 'c' is not an input of model '${P}'; its inputs are 'a', 'b'` },
  { id: 'missing-input', title: 'a missing input', model: P, body: j({ inputs: [A] }), status: 400, code: 'BERTH_INPUT_MISSING', message: `Input 'b' of model '${P}' is missing` },
  { id: 'duplicate-input', title: 'a duplicated input', model: P, body: j({ inputs: [A, B, A] }), status: 400, code: 'BERTH_INPUT_DUPLICATE', message: "Input 'a' appears more than once" },
  { id: 'unknown-output', title: 'an unknown requested output', model: P, body: j({ inputs: [A, B], outputs: [{ name: 'quotient' }] }), status: 400, code: 'BERTH_OUTPUT_UNKNOWN', message: `'quotient' is not an output of model '${P}'; its outputs are 'sum', 'product'` },
  { id: 'wrong-datatype', title: "a datatype other than the model's", model: P, body: j({ inputs: [{ ...A, datatype: 'FP64' }, B] }), status: 400, code: 'BERTH_INPUT_DATATYPE', message: "Input 'a' has datatype \"FP64\", but the model expects FP32" },
  { id: 'unknown-datatype', title: 'an unknown datatype', model: P, body: j({ inputs: [{ ...A, datatype: 'FLOAT' }, B] }), status: 400, code: 'BERTH_INPUT_DATATYPE', message: 'expects FP32' },
  { id: 'shape-misfit', title: 'a shape that does not fit the model', model: P, body: j({ inputs: [{ ...A, shape: [2, 1] }, B] }), status: 400, code: 'BERTH_INPUT_SHAPE', message: "Input 'a' has shape [2,1], which does not fit the model's shape [-1,2]" },
  { id: 'shape-rank', title: 'a shape of the wrong rank', model: P, body: j({ inputs: [{ ...A, shape: [2] }, B] }), status: 400, code: 'BERTH_INPUT_SHAPE', message: 'shape [2]' },
  { id: 'negative-dimension', title: 'a negative dimension', model: P, body: j({ inputs: [{ ...A, shape: [-1, 2] }, B] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: 'every dimension must be an integer from 0 to' },
  { id: 'data-short', title: 'a shape that does not match the data', model: P, body: j({ inputs: [{ ...A, shape: [2, 2] }, B] }), status: 400, code: 'BERTH_INPUT_DATA_LENGTH', message: "Input 'a' has shape [2,2], which holds 4 elements, but its data has 2 elements" },
  { id: 'data-long', title: 'too much data for the shape', model: P, body: j({ inputs: [{ ...A, data: [1, 2, 3] }, B] }), status: 400, code: 'BERTH_INPUT_DATA_LENGTH', message: 'holds 2 elements' },
  { id: 'string-in-fp32', title: 'a string in FP32 data', model: P, body: j({ inputs: [{ ...A, data: [1, 'x'] }, B] }), status: 400, code: 'BERTH_INPUT_VALUE', message: "Input 'a', element 1: the string \"x\" is not a FP32 number" },
  { id: 'data-not-array', title: 'data that is not an array', model: P, body: j({ inputs: [{ ...A, data: 'nope' }, B] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: "'data' as an array" },
  { id: 'parameters-not-object', title: 'parameters that are not an object', model: P, body: j({ inputs: [A, B], parameters: [1] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: "'parameters' must be an object" },
  { id: 'dimension-past-2^53', title: 'a dimension beyond 2^53', model: P, body: `{"inputs":[{"name":"a","datatype":"FP32","shape":[9007199254740993,2],"data":[1,2]},${j(B)}]}`, status: 400, code: 'BERTH_REQUEST_INVALID', message: "input 'a' has shape [9007199254740993,2]; every dimension must be an integer from 0 to 2147483647" },
  { id: 'dimension-past-2^31', title: 'a dimension beyond 2^31', model: P, body: j({ inputs: [{ ...A, shape: [2 ** 40, 2] }, B] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: 'from 0 to 2147483647' },
  { id: 'zero-size-overflow', title: 'a zero-size shape whose sides multiply past 2^53', model: P, body: j({ inputs: [{ ...A, shape: [0, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], data: [] }, B] }), status: 400, code: 'BERTH_REQUEST_INVALID', message: 'multiply past 2^53' },
  ...(
    [
      ['UINT8', '[300,0,0,0,0,0]', 'outside the UINT8 range'],
      ['UINT32', '[-1,0,0,0,0,0]', 'outside the UINT32 range'],
      ['INT8', '[0,0,-129,0,0,0]', 'element 2'],
      ['INT32', '[0,1.5,0,0,0,0]', 'not a INT32 integer'],
      ['INT64', '[0,0,0,9223372036854775808,0,0]', 'outside the INT64 range'],
      ['UINT64', '[0,0,0,0,0,-1]', 'outside the UINT64 range'],
      ['FP32', '[0,"abc",0,0,0,0]', 'is not a FP32 number'],
      ['FP64', '[0,0,null,0,0,0]', 'null is not a FP64 number'],
      ['BOOL', '[1,0,1,0,1,0]', 'is not a BOOL'],
      ['BYTES', '[1,"a","b","c","d","e"]', 'is not a BYTES string'],
    ] as const
  ).map(([datatype, data, message]): ErrorCase => ({
    id: `value-${datatype}`,
    title: `${datatype} data ${data}, a value the type cannot hold`,
    model: identityModelName(datatype),
    body: `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2,3],"data":${data}}]}`,
    status: 400,
    code: 'BERTH_INPUT_VALUE',
    message: ["Input 'x'", message],
  })),
  ...(
    [
      ['header-length-nan', 'a header length that is not a number', 'abc'],
      ['header-length-long', 'a header length longer than the body', '1000'],
      ['header-length-zero', 'a header length of zero', '0'],
    ] as const
  ).map(([id, title, length]): ErrorCase => ({
    id: `binary-${id}`,
    title: `binary: ${title}`,
    model: P,
    body: '{"inputs":[]}',
    headers: { 'content-type': 'application/json', [HEADER_LENGTH]: length },
    status: 400,
    code: 'BERTH_BINARY_HEADER',
    message: 'Inference-Header-Content-Length',
  })),
  {
    id: 'binary-sizes-mismatch',
    title: 'binary: sizes that do not add up to the binary part',
    model: P,
    ...binaryWithHeader(j({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }, B] }), new Uint8Array(12)),
    status: 400,
    code: 'BERTH_BINARY_HEADER',
    message: 'the binary part has 12 bytes but the inputs declare 8',
  },
  {
    id: 'binary-size-shape',
    title: 'binary: a binary_data_size that does not match the shape',
    model: P,
    ...binaryWithHeader(j({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 4 } }, B] }), new Uint8Array(4)),
    status: 400,
    code: 'BERTH_INPUT_DATA_LENGTH',
    message: '8 bytes of FP32',
  },
  {
    id: 'binary-size-past-2^53',
    title: 'binary: a binary_data_size beyond 2^53',
    model: P,
    ...binaryWithHeader(`{"inputs":[{"name":"a","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":100000000000000000000}},${j(B)}]}`, new Uint8Array(8)),
    status: 400,
    code: 'BERTH_BINARY_HEADER',
    message: 'binary_data_size 100000000000000000000;',
  },
  { id: 'unknown-model', title: 'inference on a model not served', model: 'conformance_not_served', body: j({ inputs: [A, B] }), status: 404, code: 'BERTH_MODEL_NOT_FOUND', message: "Model 'conformance_not_served' is not served" },
  { id: 'unknown-version', title: 'inference on a version not served', model: P, path: `/v2/models/${P}/versions/7/infer`, body: j({ inputs: [A, B] }), status: 404, code: 'BERTH_VERSION_NOT_FOUND', message: `Version '7' of model '${P}'` },
];

const ERROR_CHECKS: ConformanceCheck[] = [
  ...ERROR_CASES.map((c) =>
    check('errors', c.id, `${c.title}: ${c.status} with an error message`, c.model === 'conformance_not_served' ? [] : [c.model], async (context) => {
      const answer = await context.send(c.path ?? `/v2/models/${c.model}/infer`, { method: 'POST', body: c.body, headers: c.headers ?? JSON_TYPE });
      mustEqual(answer.status, c.status, 'status');
      const body = jsonObject(answer, 'error body');
      must(typeof body.error === 'string' && body.error.length > 0, `the body must be {"error": "<message>"}, got ${show(answer.text, 200)}`);
      if (context.profile === 'berth') {
        mustEqual(body.code, c.code, 'code');
        for (const fragment of [c.message].flat()) must(body.error.includes(fragment), `error message ${show(body.error)} should contain ${show(fragment)}`);
      }
    }),
  ),
  check('errors', 'keeps-serving', 'after every bad request above, a good one is still answered', [PAIR_MODEL], async (context) => {
    const outputs = outputsOf(await infer(context, PAIR_MODEL, j({ inputs: [A, B] })), PAIR_MODEL);
    mustEqual(flat(outputNamed(outputs, 'sum').data ?? null), [4, 6], 'sum');
  }),
];

/** Every check, in the order they run. */
export const OIP_CHECKS: readonly ConformanceCheck[] = [
  ...HEALTH_AND_METADATA,
  ...DATATYPE_CHECKS,
  ...DATATYPE_EXTRAS,
  ...BERTH_DATATYPE_EXTRAS,
  ...OUTPUT_CHECKS,
  ...ERROR_CHECKS,
];
