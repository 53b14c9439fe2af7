/**
 * A deliberately independent encoder/decoder of the OIP binary tensor format for tests, written
 * with Buffer's own read/write methods so the server's codec is checked against something else.
 */
export function encodeBinary(datatype: string, values: readonly (number | string | bigint | boolean)[]): Buffer {
  if (datatype === 'BYTES') {
    return Buffer.concat(
      values.map((v) => {
        const bytes = Buffer.from(String(v), 'utf8');
        const head = Buffer.alloc(4);
        head.writeUInt32LE(bytes.length);
        return Buffer.concat([head, bytes]);
      }),
    );
  }
  const size = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 }[datatype];
  if (!size) throw new Error(`unknown datatype ${datatype}`);
  const buf = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const o = i * size;
    switch (datatype) {
      case 'BOOL': buf.writeUInt8(v ? 1 : 0, o); break;
      case 'UINT8': buf.writeUInt8(Number(v), o); break;
      case 'INT8': buf.writeInt8(Number(v), o); break;
      case 'UINT16': case 'FP16': buf.writeUInt16LE(Number(v), o); break;
      case 'INT16': buf.writeInt16LE(Number(v), o); break;
      case 'UINT32': buf.writeUInt32LE(Number(v), o); break;
      case 'INT32': buf.writeInt32LE(Number(v), o); break;
      case 'FP32': buf.writeFloatLE(typeof v === 'string' ? Number(v) : Number(v), o); break;
      case 'FP64': buf.writeDoubleLE(Number(v), o); break;
      case 'UINT64': buf.writeBigUInt64LE(BigInt(v), o); break;
      case 'INT64': buf.writeBigInt64LE(BigInt(v), o); break;
    }
  });
  return buf;
}

export function decodeBinary(datatype: string, bytes: Buffer): (number | string | bigint | boolean)[] {
  const out: (number | string | bigint | boolean)[] = [];
  if (datatype === 'BYTES') {
    for (let o = 0; o < bytes.length; ) {
      const n = bytes.readUInt32LE(o);
      out.push(bytes.subarray(o + 4, o + 4 + n).toString('utf8'));
      o += 4 + n;
    }
    return out;
  }
  const read: Record<string, [number, (o: number) => number | bigint | boolean]> = {
    BOOL: [1, (o) => bytes.readUInt8(o) !== 0],
    UINT8: [1, (o) => bytes.readUInt8(o)],
    INT8: [1, (o) => bytes.readInt8(o)],
    UINT16: [2, (o) => bytes.readUInt16LE(o)],
    FP16: [2, (o) => bytes.readUInt16LE(o)],
    INT16: [2, (o) => bytes.readInt16LE(o)],
    UINT32: [4, (o) => bytes.readUInt32LE(o)],
    INT32: [4, (o) => bytes.readInt32LE(o)],
    FP32: [4, (o) => bytes.readFloatLE(o)],
    FP64: [8, (o) => bytes.readDoubleLE(o)],
    UINT64: [8, (o) => bytes.readBigUInt64LE(o)],
    INT64: [8, (o) => bytes.readBigInt64LE(o)],
  };
  const [size, fn] = read[datatype]!;
  for (let o = 0; o < bytes.length; o += size) out.push(fn(o));
  return out;
}

/** Builds a binary-extension request body: JSON header then each input's bytes. */
export function binaryRequest(
  inputs: readonly { name: string; datatype: string; shape: readonly number[]; bytes: Buffer }[],
  extra: Record<string, unknown> = {},
): { body: Buffer; headerLength: number } {
  const header = Buffer.from(
    JSON.stringify({
      ...extra,
      inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, parameters: { binary_data_size: i.bytes.length } })),
    }),
  );
  return { body: Buffer.concat([header, ...inputs.map((i) => i.bytes)]), headerLength: header.length };
}

/** Splits a binary-extension response into its JSON header and each binary output's bytes. */
export function parseBinaryResponse(body: Buffer, headerLength: number) {
  const header = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as {
    outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }[];
  };
  let offset = headerLength;
  const binaries = new Map<string, Buffer>();
  for (const output of header.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    binaries.set(output.name, body.subarray(offset, offset + size));
    offset += size;
  }
  return { header, binaries, trailing: body.length - offset };
}
