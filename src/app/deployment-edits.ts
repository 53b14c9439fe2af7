/**
 * Edits of a deployment as the commands make them: replace the variants and keep the shadows, add
 * or drop one shadow and keep the rest. Each returns the whole new policy (what
 * Registry.setDeployment takes), or null when nothing would be left (clear the deployment).
 */
import type { DeploymentPolicyInput, DeploymentShadow, DeploymentVariant, StickyKey } from '../core/deployment.js';
import { Errors } from '../core/errors.js';
import type { DeploymentRecord } from '../registry/index.js';

/** The variants replaced (empty: the default version takes all traffic), the shadows kept; `sticky` replaces the key when given. */
export function withVariants(current: DeploymentRecord | null, variants: readonly DeploymentVariant[], sticky?: StickyKey): DeploymentPolicyInput | null {
  const shadows = current?.shadows ?? [];
  if (variants.length === 0 && shadows.length === 0) return null;
  return { variants, shadows, sticky: sticky ?? current?.sticky };
}

/** `shadow` added, or its sample changed when it is a shadow already; everything else kept. */
export function withShadow(current: DeploymentRecord | null, shadow: DeploymentShadow): DeploymentPolicyInput {
  const shadows = [...(current?.shadows ?? []).filter((s) => s.version !== shadow.version), shadow];
  return { variants: current?.variants ?? [], shadows, sticky: current?.sticky };
}

/** The shadow of `version` dropped, everything else kept. Throws BERTH_DEPLOYMENT_SHADOW_NOT_FOUND when it is not a shadow. */
export function withoutShadow(model: string, current: DeploymentRecord | null, version: number): DeploymentPolicyInput | null {
  const shadows = current?.shadows ?? [];
  if (!shadows.some((s) => s.version === version)) throw Errors.DEPLOYMENT_SHADOW_NOT_FOUND.create(model, version, shadows.map((s) => s.version));
  const rest = shadows.filter((s) => s.version !== version);
  const variants = current?.variants ?? [];
  if (variants.length === 0 && rest.length === 0) return null;
  return { variants, shadows: rest, sticky: current?.sticky };
}
