/**
 * The limit of the HTTP stack: a bare node:http server that does what Berth does around the model
 * and nothing else. It reads the body, parses the JSON (the header part of a binary request), and
 * answers an OIP response of the same shape and size as Berth's: `outputsPerRow` float32 values
 * per row, written as Berth writes them (JSON numbers, or raw bytes after a JSON header).
 *
 *   node --import tsx bench/bare-http-server.ts <outputsPerRow> <outputName>
 *
 * Prints `listening at http://127.0.0.1:PORT`.
 */
import { createServer } from 'node:http';

const outputsPerRow = Number(process.argv[2] ?? 10);
const outputName = process.argv[3] ?? 'probabilities';

interface ParsedRequest {
  inputs?: { shape?: number[]; data?: number[] }[];
}

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"live":true}');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const headerLength = request.headers['inference-header-content-length'];
    const binary = typeof headerLength === 'string';
    const json = (binary ? body.subarray(0, Number(headerLength)) : body).toString('utf8');
    let parsed: ParsedRequest;
    try {
      parsed = JSON.parse(json) as ParsedRequest;
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
      return;
    }
    const input = parsed.inputs?.[0];
    const rows = input?.shape?.[0] ?? 1;
    const outputs = standInOutputs(rows, input?.data);
    const model = /^\/v2\/models\/([^/]+)/.exec(request.url ?? '')?.[1] ?? 'model';
    const head = `{"model_name":"${model}","model_version":"1","outputs":[{"name":"${outputName}","datatype":"FP32","shape":[${rows},${outputsPerRow}]`;
    if (binary) {
      const header = Buffer.from(`${head},"parameters":{"binary_data_size":${outputs.byteLength}}}]}`);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) });
      response.end(Buffer.concat([header, Buffer.from(outputs.buffer)]));
      return;
    }
    const values = new Array<string>(outputs.length);
    for (let i = 0; i < outputs.length; i++) values[i] = String(outputs[i]);
    response.writeHead(200, { 'content-type': 'application/json' }).end(`${head},"data":[${values.join(',')}]}]}`);
  });
});

/**
 * A softmax over made-up logits: float32 values spread from 1e-7 to 1 like a real model's, so they
 * print with the lengths of Berth's numbers and the answer has the same size.
 */
function standInOutputs(rows: number, data: number[] | undefined): Float32Array {
  const outputs = new Float32Array(rows * outputsPerRow);
  for (let r = 0; r < rows; r++) {
    const row = outputs.subarray(r * outputsPerRow, (r + 1) * outputsPerRow);
    let sum = 0;
    for (let j = 0; j < outputsPerRow; j++) {
      row[j] = Math.exp(6 * Math.sin(1.3 * j + 0.1 * (data?.[r * outputsPerRow + j] ?? r)));
      sum += row[j]!;
    }
    for (let j = 0; j < outputsPerRow; j++) row[j]! /= sum;
  }
  return outputs;
}

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`listening at http://127.0.0.1:${port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
