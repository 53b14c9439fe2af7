/**
 * A rollout's traffic as the registry's deployments: read and written in change transactions that
 * every replica follows; through RegistryChanges in a server, so the versions a step names are
 * loaded on this replica before the step is written (one that cannot load is refused with nothing
 * changed) and traffic moves here at once.
 */
import { Errors } from '../../core/errors.js';
import type { Registry } from '../../registry/index.js';
import type { RegistryChanges } from '../registry-changes.js';
import type { RolloutTraffic } from './rollout-traffic.js';

/** The RolloutTraffic of a registry; `changes` applies each change to this replica too. */
export function registryTraffic(registry: Registry, changes?: RegistryChanges): RolloutTraffic {
  const writer = changes ?? registry;
  return {
    async current(model) {
      const deployment = await registry.getDeployment(model);
      return deployment ? { seq: deployment.seq, policy: { variants: deployment.variants, shadows: deployment.shadows } } : null;
    },
    async set(model, policy, expectedSeq, actor) {
      try {
        const change = await writer.setDeployment(model, policy, { expectedSeq, actor });
        return change.deployment?.seq;
      } catch (error) {
        if (Errors.DEPLOYMENT_CHANGED.is(error)) return undefined;
        throw error;
      }
    },
    async clear(model, actor, promote) {
      await writer.clearDeployment(model, { actor, ...(promote !== undefined ? { setAlias: { alias: 'production', version: promote } } : {}) });
    },
  };
}
