import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerthError, Errors, catalogue } from '../../src/core/errors.js';

// docs/errors.md is the reference users read; every code must be there with the same statuses,
// and the page must not list codes that no longer exist.
const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map(
  [...doc.matchAll(/^\|\s*`(BERTH_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*`?([A-Z_]+)`?\s*\|/gm)].map((m) => [m[1]!, { http: Number(m[2]), grpc: m[3] }]),
);

describe('error catalogue', () => {
  it('has unique codes in the BERTH_<AREA>_<WHAT> form', () => {
    const codes = catalogue().map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^BERTH_[A-Z0-9]+(_[A-Z0-9]+)+$/);
  });

  it('is documented in docs/errors.md with the same HTTP and gRPC statuses', () => {
    for (const entry of catalogue()) {
      expect(documented.get(entry.code), `${entry.code} missing from docs/errors.md`).toEqual({ http: entry.httpStatus, grpc: entry.grpcStatus });
    }
  });

  it('documents no code that the catalogue lacks', () => {
    const codes = new Set(catalogue().map((e) => e.code));
    for (const code of documented.keys()) expect(codes.has(code), `${code} is documented but not in the catalogue`).toBe(true);
  });

  it('creates errors that carry code, statuses and a message naming the subject', () => {
    const error = Errors.MODEL_NOT_FOUND.create('digits');
    expect(error).toBeInstanceOf(BerthError);
    expect(error.code).toBe('BERTH_MODEL_NOT_FOUND');
    expect(error.httpStatus).toBe(404);
    expect(error.message).toContain("'digits'");
    expect(Errors.MODEL_NOT_FOUND.is(error)).toBe(true);
    expect(Errors.VERSION_NOT_FOUND.is(error)).toBe(false);
  });

  it('has no code that no source file uses', () => {
    const root = new URL('../../src/', import.meta.url).pathname;
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file) && file !== join('core', 'errors.ts'))
      .map((file) => readFileSync(join(root, file), 'utf8'))
      .join('\n');
    for (const name of Object.keys(Errors)) expect(sources.includes(`Errors.${name}.`), `Errors.${name} is used by no file in src/`).toBe(true);
  });

  it('carries details and a cause when given them after the template arguments', () => {
    const cause = new Error('onnxruntime said no');
    const error = Errors.MODEL_EXECUTION_FAILED.create('digits', cause.message, { cause, details: { run: 3 } });
    expect(error.message).toBe("Model 'digits' failed while running: onnxruntime said no");
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ run: 3 });
    const plain = Errors.MODEL_EXECUTION_FAILED.create('digits', 'no');
    expect(plain.details).toEqual({});
    expect('cause' in plain).toBe(false);
    // A template without parameters takes the extras as its only argument.
    expect(Errors.SERVER_SHUTTING_DOWN.create({ cause }).cause).toBe(cause);
  });

  it('keeps client mistakes out of the 5xx range', () => {
    const serverSide = new Set([
      'BERTH_SERVER_INTERNAL', 'BERTH_MODEL_EXECUTION_FAILED', 'BERTH_MODEL_LOAD_FAILED',
      // The server's own stored data is damaged or its schema is newer than the code: not the client's doing.
      'BERTH_STORE_MIGRATION_FAILED', 'BERTH_STORE_BLOB_MISSING', 'BERTH_STORE_BLOB_CORRUPT',
      // A training worker that crashed or ran out of memory: the trainer's fault, not the data's.
      'BERTH_TRAINING_FAILED',
      // An image build stopped by the machine (a full disk), or a registry that refused or failed a push or pull.
      'BERTH_IMAGE_BUILD_FAILED', 'BERTH_IMAGE_PUSH_FAILED', 'BERTH_IMAGE_PULL_FAILED',
      // Berth's own build lacks the files berth export copies: an installation fault.
      'BERTH_EXPORT_TARGET_MISSING',
    ]);
    for (const entry of catalogue()) {
      if (entry.httpStatus >= 500 && entry.httpStatus !== 503 && entry.httpStatus !== 504) expect(serverSide.has(entry.code), entry.code).toBe(true);
    }
  });
});
