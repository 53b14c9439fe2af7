/** The model name a data or model file suggests, when the user gives none. */
import { MAX_NAME_LENGTH, isModelName } from '../registry/index.js';

/**
 * The file's base name without its extension, made into a valid model name: characters a name
 * may not hold become `-`, and a name that starts with neither a letter nor a digit loses its
 * first characters. `model` when nothing usable is left.
 *
 * @example
 *   modelNameForFile('data/Loans 2024.csv'); // 'Loans-2024'
 */
export function modelNameForFile(file: string): string {
  const base = file.split(/[\\/]/).at(-1) ?? '';
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const name = stem
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_NAME_LENGTH);
  return isModelName(name) ? name : 'model';
}
