/**
 * Rules for the names of models and aliases. A name ends up in file paths, URLs
 * (`/v2/models/{name}`), references (`model:3`, `model@production`) and terminals, so only a
 * plain, portable alphabet is accepted, and every refusal says exactly what is wrong.
 */
import { Errors } from './errors.js';

/** The longest name accepted. */
export const MAX_NAME_LENGTH = 128;

/** Why `name` cannot be a name, or undefined when it can. */
function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it has ${name.length} characters`;
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'it contains a control character';
  if (/\s/u.test(name)) return 'it contains white space';
  if (/[:@]/.test(name)) return "it contains ':' or '@', which separate a model from its version or alias";
  if (!/^[A-Za-z0-9]/.test(name)) return 'it does not start with a letter or digit';
  const bad = /[^A-Za-z0-9._-]/u.exec(name);
  if (bad) return `it contains '${bad[0]}'`;
  return undefined;
}

/** Returns `name` when it is a valid model name; throws BERTH_REGISTRY_NAME_INVALID otherwise. */
export function validateModelName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw Errors.REGISTRY_NAME_INVALID.create('Model', name, problem);
  return name;
}

/**
 * Returns `name` when it is a valid alias name; throws BERTH_REGISTRY_NAME_INVALID otherwise. An
 * alias may not be all digits, which would read as a version number.
 */
export function validateAliasName(name: string): string {
  const problem = nameProblem(name) ?? (/^[0-9]+$/.test(name) ? 'it is all digits and would read as a version number' : undefined);
  if (problem) throw Errors.REGISTRY_NAME_INVALID.create('Alias', name, problem);
  return name;
}

/** True when `name` is a valid model name. */
export function isModelName(name: unknown): name is string {
  return nameProblem(name) === undefined;
}
