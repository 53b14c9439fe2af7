/**
 * A deployment: a model's traffic policy. Its *variants* share the traffic that names the model
 * plainly (a version and a weight in percent; the weights sum to 100), its *shadows* see copies of
 * a share of requests and are never answered from, and its *sticky key* (a request header, or a
 * named feature of the request) keeps one user on one variant. This module owns the policy's
 * shape and its checks; the registry stores it and the server routes by it.
 */
import { z } from 'zod';
import { Errors } from './errors.js';

/** The request header hashed for sticky routing when a deployment names no key. */
export const DEFAULT_STICKY_HEADER = 'x-berth-route-key';

/** How far the weights may sum from 100 (they are decimal percentages). */
const WEIGHT_TOLERANCE = 1e-6;

/** A version with a share of a model's traffic, in percent. */
export interface DeploymentVariant {
  readonly version: number;
  readonly weight: number;
}

/** A version that sees copies of a share of requests (0 < sample <= 1) and is never answered from. */
export interface DeploymentShadow {
  readonly version: number;
  readonly sample: number;
}

/** What keeps one user on one variant: a request header (lower case), or a named feature of the request. */
export type StickyKey = { readonly kind: 'header'; readonly name: string } | { readonly kind: 'feature'; readonly name: string };

/** A model's traffic policy as a caller writes it. */
export interface DeploymentPolicyInput {
  /** Empty or absent: the default version (production, else the latest) takes all traffic. */
  readonly variants?: readonly DeploymentVariant[] | undefined;
  readonly shadows?: readonly DeploymentShadow[] | undefined;
  /** Default: the header {@link DEFAULT_STICKY_HEADER}. */
  readonly sticky?: StickyKey | undefined;
}

/** A checked policy. Variants keep the order given: sticky buckets are laid out in that order. */
export interface DeploymentPolicy {
  readonly variants: readonly DeploymentVariant[];
  readonly shadows: readonly DeploymentShadow[];
  readonly sticky: StickyKey;
}

const VersionNumber = z.number().int().min(1);

/** A variant as the API carries it. */
export const DeploymentVariantSchema = z.object({
  version: VersionNumber,
  weight: z.number().min(0).max(100).describe('Percent of the traffic; the variants sum to 100.'),
});

/** A shadow as the API carries it. */
export const DeploymentShadowSchema = z.object({
  version: VersionNumber,
  sample: z.number().gt(0).max(1).describe('Share of requests copied to it, above 0 and at most 1.'),
});

/** A sticky key as the API carries it. */
export const StickyKeySchema = z.object({
  kind: z.enum(['header', 'feature']),
  name: z.string().min(1).max(256),
});

/** The zod schema of a policy as a caller writes it; use {@link parseDeploymentPolicy} to check one. */
export const DeploymentPolicyInputSchema = z.object({
  variants: z.array(DeploymentVariantSchema).max(64).optional(),
  shadows: z.array(DeploymentShadowSchema).max(16).optional(),
  sticky: StickyKeySchema.optional(),
});

/**
 * Checks a policy's shape: weights from 0 to 100 summing to 100 with at least one above 0, whole
 * version numbers from 1, no version twice, no shadow that is also a variant, samples in (0, 1],
 * a header name HTTP allows, and something to do (a policy with neither variants nor shadows is
 * no deployment). Throws BERTH_DEPLOYMENT_INVALID naming every problem.
 *
 * @example
 *   parseDeploymentPolicy('digits', { variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] });
 */
export function parseDeploymentPolicy(model: string, input: DeploymentPolicyInput): DeploymentPolicy {
  const parsed = DeploymentPolicyInputSchema.safeParse(input);
  if (!parsed.success) {
    throw Errors.DEPLOYMENT_INVALID.create(model, parsed.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`).join('; '));
  }
  const variants = parsed.data.variants ?? [];
  const shadows = parsed.data.shadows ?? [];
  const problems: string[] = [];
  if (variants.length === 0 && shadows.length === 0) problems.push('it has neither variants nor shadows (clear the deployment instead)');
  if (variants.length > 0) {
    const sum = variants.reduce((total, v) => total + v.weight, 0);
    if (Math.abs(sum - 100) > WEIGHT_TOLERANCE) problems.push(`the weights sum to ${Number(sum.toFixed(6))}, not 100`);
  }
  const seen = new Set<number>();
  for (const v of variants) {
    if (seen.has(v.version)) problems.push(`version ${v.version} is a variant twice`);
    seen.add(v.version);
  }
  const shadowed = new Set<number>();
  for (const s of shadows) {
    if (seen.has(s.version)) problems.push(`version ${s.version} is both a variant and a shadow (a shadow is never answered from)`);
    if (shadowed.has(s.version)) problems.push(`version ${s.version} is a shadow twice`);
    shadowed.add(s.version);
  }
  let sticky: StickyKey = { kind: 'header', name: DEFAULT_STICKY_HEADER };
  if (parsed.data.sticky) {
    const { kind, name } = parsed.data.sticky;
    if (kind === 'header' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) problems.push(`'${name}' is not a valid HTTP header name`);
    sticky = kind === 'header' ? { kind, name: name.toLowerCase() } : { kind, name };
  }
  if (problems.length > 0) throw Errors.DEPLOYMENT_INVALID.create(model, problems.join('; '));
  return {
    variants: variants.map((v) => ({ version: v.version, weight: v.weight })),
    shadows: shadows.map((s) => ({ version: s.version, sample: s.sample })),
    sticky,
  };
}

/** Every version a policy names, variants first. */
export function deploymentVersions(policy: DeploymentPolicy): number[] {
  return [...policy.variants.map((v) => v.version), ...policy.shadows.map((s) => s.version)];
}
