/** Names and canonical JSON: the small rules everything else relies on (references: test/core/model-ref.test.ts). */
import { describe, expect, it } from 'vitest';
import { canonicalJson, validateAliasName, validateModelName } from '../../src/registry/index.js';

describe('names', () => {
  it('accepts plain names', () => {
    for (const name of ['digits', 'Digits-2', 'a', 'model_v1.2', '9lives', 'x'.repeat(128)]) expect(validateModelName(name)).toBe(name);
    expect(validateAliasName('production')).toBe('production');
    expect(validateAliasName('v2')).toBe('v2');
  });

  it.each([
    ['', 'empty'],
    ['a/b', 'path separator'],
    ['a\\b', 'path separator'],
    ['..', 'start with a letter or digit'],
    ['.hidden', 'start with a letter or digit'],
    ['-flag', 'start with a letter or digit'],
    ['tab\there', 'control character'],
    ['bell\u0007', 'control character'],
    ['nul\u0000', 'control character'],
    ['two words', 'white space'],
    ['m:1', "':' or '@'"],
    ['m@prod', "':' or '@'"],
    ['café', "contains 'é'"],
    ['semi;colon', "contains ';'"],
    ['x'.repeat(129), '129 characters'],
  ])('refuses %j (%s) with BERTH_REGISTRY_NAME_INVALID', (name, reason) => {
    expect(() => validateModelName(name)).toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_NAME_INVALID', message: expect.stringContaining(reason) }));
  });

  it('refuses all-digit aliases, which would read as versions', () => {
    expect(() => validateAliasName('42')).toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_NAME_INVALID', message: expect.stringContaining('version number') }));
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, and has no white space', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }, 2], e: undefined, 'é': true })).toBe('{"a":[{"c":null,"d":"x"},2],"b":1,"é":true}');
  });

  it('gives equal values equal text whatever the key order', () => {
    expect(canonicalJson({ x: { p: 1, q: [1, 2] }, y: 'z' })).toBe(canonicalJson({ y: 'z', x: { q: [1, 2], p: 1 } }));
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow();
  });
});
