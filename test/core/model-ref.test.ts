/**
 * What a model reference means: one table of valid and invalid forms, run against the core
 * parser every server-side layer uses and against the dashboard's copy, so both follow one rule.
 */
import { describe, expect, it } from 'vitest';
import { type ModelRef, defaultVersion, formatModelRef, parseModelRef, parseVersionNumber } from '../../src/core/model-ref.js';
import { parseModelRef as parseInBrowser, resolveVersion } from '../../web/src/lib/model-ref.js';

const valid: readonly [string, ModelRef][] = [
  ['digits', { model: 'digits', kind: 'default' }],
  ['Digits-2.v_1', { model: 'Digits-2.v_1', kind: 'default' }],
  ['9lives', { model: '9lives', kind: 'default' }],
  ['digits:1', { model: 'digits', kind: 'version', version: 1 }],
  ['digits:12', { model: 'digits', kind: 'version', version: 12 }],
  ['digits:999999999', { model: 'digits', kind: 'version', version: 999_999_999 }],
  ['digits@production', { model: 'digits', kind: 'alias', alias: 'production' }],
  ['digits@v2', { model: 'digits', kind: 'alias', alias: 'v2' }],
  ['x'.repeat(128) + '@a', { model: 'x'.repeat(128), kind: 'alias', alias: 'a' }],
];

// [reference, the code it is refused with, what the message says]
const invalid: readonly [string, string, string][] = [
  ['', 'BERTH_REGISTRY_NAME_INVALID', 'it is empty'],
  ['digits:', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '' is not a whole number"],
  ['digits:0', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '0' is not a whole number from 1 up"],
  ['digits:01', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '01'"],
  ['digits:-1', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '-1'"],
  ['digits:1.5', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '1.5'"],
  ['digits:1e3', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '1e3'"],
  ['digits:x', 'BERTH_REGISTRY_REFERENCE_INVALID', "version 'x'"],
  ['digits:1000000000', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '1000000000'"],
  ['digits:1:2', 'BERTH_REGISTRY_REFERENCE_INVALID', "version '1:2'"],
  ['d:1@a', 'BERTH_REGISTRY_REFERENCE_INVALID', "it has both ':' and '@'"],
  ['d@a:1', 'BERTH_REGISTRY_REFERENCE_INVALID', "it has both ':' and '@'"],
  [':3', 'BERTH_REGISTRY_NAME_INVALID', 'Model name "" is invalid: it is empty'],
  ['@prod', 'BERTH_REGISTRY_NAME_INVALID', 'Model name "" is invalid: it is empty'],
  ['digits@', 'BERTH_REGISTRY_NAME_INVALID', 'Alias name "" is invalid: it is empty'],
  ['digits@a@b', 'BERTH_REGISTRY_NAME_INVALID', "Alias name \"a@b\" is invalid: it contains ':' or '@'"],
  ['digits@42', 'BERTH_REGISTRY_NAME_INVALID', 'it is all digits and would read as a version number'],
  ['digits@-x', 'BERTH_REGISTRY_NAME_INVALID', 'it does not start with a letter or digit'],
  ['a/b:1', 'BERTH_REGISTRY_NAME_INVALID', 'it contains a path separator'],
  ['two words', 'BERTH_REGISTRY_NAME_INVALID', 'it contains white space'],
  ['.hidden', 'BERTH_REGISTRY_NAME_INVALID', 'it does not start with a letter or digit'],
  ['café@prod', 'BERTH_REGISTRY_NAME_INVALID', "it contains 'é'"],
  ['x'.repeat(129), 'BERTH_REGISTRY_NAME_INVALID', 'it has 129 characters'],
];

describe('model references', () => {
  it.each(valid)('parses %j', (text, ref) => {
    expect(parseModelRef(text)).toEqual(ref);
    expect(formatModelRef(ref)).toBe(text);
  });

  it.each(invalid)('refuses %j with %s', (text, code, reason) => {
    expect(() => parseModelRef(text)).toThrow(expect.objectContaining({ code, httpStatus: 400, message: expect.stringContaining(reason) }));
  });

  it('names the whole reference when its version is wrong, and what to write instead', () => {
    expect(() => parseModelRef('digits:x')).toThrow(/^"digits:x" is not a version reference: version .x. is not a whole number from 1 up\. Use model \(its production version, else its latest\), model:version/);
  });

  it('parses version numbers as the wire carries them', () => {
    expect(parseVersionNumber('7')).toBe(7);
    expect(() => parseVersionNumber('07', 'digits:07')).toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_REFERENCE_INVALID', message: expect.stringContaining('"digits:07"') }));
  });

  it('means production by a plain name, else the latest version', () => {
    expect(defaultVersion({ aliases: { production: 2, staging: 3 }, latestVersion: 3 })).toBe(2);
    expect(defaultVersion({ aliases: new Map([['production', 2]]), latestVersion: 3 })).toBe(2);
    expect(defaultVersion({ aliases: { staging: 1 }, latestVersion: 3 })).toBe(3);
    expect(defaultVersion({ aliases: new Map(), latestVersion: 3 })).toBe(3);
    expect(defaultVersion({ aliases: {}, latestVersion: null })).toBeUndefined();
  });
});

describe("the dashboard's copy of the rule", () => {
  const model = { name: 'loans', created: '', versions: 3, latestVersion: 3, aliases: { production: 2, staging: 3 } };

  it.each(valid)('parses %j as the server does', (text, ref) => {
    const parsed = parseInBrowser(text);
    expect(parsed).toEqual(
      ref.kind === 'version' ? { name: ref.model, version: ref.version } : ref.kind === 'alias' ? { name: ref.model, alias: ref.alias } : { name: ref.model },
    );
  });

  it.each(invalid)('refuses %j as the server does', (text) => {
    expect(parseInBrowser(text)).toBeUndefined();
  });

  it('resolves the default version by the same rule', () => {
    for (const aliases of [{ production: 2, staging: 3 }, { staging: 1 }, {}] as Record<string, number>[]) {
      const record = { ...model, aliases };
      expect(resolveVersion({ name: 'loans' }, record)).toBe(defaultVersion(record));
    }
    expect(resolveVersion({ name: 'loans', alias: 'constructor' }, model)).toBeUndefined();
  });
});
