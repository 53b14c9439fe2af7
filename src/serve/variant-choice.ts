/**
 * The router's rule: which variant of a deployment answers one request. Each variant owns a range
 * of [0, 100) as wide as its weight, laid out in the deployment's order; a request lands on a
 * point of that line: the hash of its sticky key (so one user always meets the same variant, on
 * every replica) or, without a key, a random point (so shares follow the weights).
 *
 * Because ranges follow the variants' order, a user whose key lands on the first variant stays on
 * it while that variant's weight only grows (a canary listed first keeps its users from 10% to 50%).
 */
import { hash } from 'node:crypto';
import type { DeploymentPolicy, StickyKey } from '../core/deployment.js';

/** How a request names its sticky key; read only when the model's deployment routes by one. */
export interface RouteKeySource {
  /** A request header (lower-case name). */
  header(name: string): string | undefined;
  /** A named feature of the request (records: the first row's field; tensors: a request parameter). */
  feature?(name: string): unknown;
}

/** The request's sticky key as text, or undefined when it carries none. */
export function routeKey(sticky: StickyKey, source: RouteKeySource): string | undefined {
  const value = sticky.kind === 'header' ? source.header(sticky.name) : (source.feature?.(sticky.name) ?? source.header(sticky.name));
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A point of [0, 1) for a key: the first 48 bits of its SHA-1 with the model's name, the same on every replica. */
export function keyPoint(model: string, key: string): number {
  // sha1 is enough here: the hash spreads keys evenly, it guards nothing.
  const digest = hash('sha1', `${model}\u0000${key}`, 'hex');
  return parseInt(digest.slice(0, 12), 16) / 2 ** 48;
}

/**
 * The version that answers a request: the variant whose range holds the request's point (the
 * key's, else random). `policy.variants` must not be empty.
 */
export function chooseVariant(model: string, policy: DeploymentPolicy, key: string | undefined): number {
  const variants = policy.variants;
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point = (key === undefined ? Math.random() : keyPoint(model, key)) * total;
  let upper = 0;
  for (const variant of variants) {
    upper += variant.weight;
    if (point < upper) return variant.version;
  }
  // Only rounding can get here; the last variant with any weight owns the end of the line.
  for (let i = variants.length - 1; i >= 0; i--) if (variants[i]!.weight > 0) return variants[i]!.version;
  return variants[variants.length - 1]!.version;
}
