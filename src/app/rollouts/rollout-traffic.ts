/**
 * What a rollout does to a model's traffic: its deployment (registry, followed by every replica),
 * read and written through this port so the runner is tested without servers. Every write the
 * runner makes names the deployment it expects to replace, so a change made by anyone else in the
 * meantime (an abort, `berth traffic`) is never overwritten by a step.
 */
import type { AuditActor } from '../../registry/index.js';

/** A traffic policy as a rollout writes it. */
export interface TrafficPolicy {
  readonly variants: readonly { readonly version: number; readonly weight: number }[];
  readonly shadows: readonly { readonly version: number; readonly sample: number }[];
}

/** A model's deployments, as a rollout sees them. */
export interface RolloutTraffic {
  /** The model's deployment now and the change sequence number that wrote it, or null with none. */
  current(model: string): Promise<{ readonly seq: number; readonly policy: TrafficPolicy } | null>;
  /**
   * Replaces the deployment when its sequence number is still `expectedSeq` (0: there is none);
   * returns the new sequence number, or undefined when it had changed. Throws when a version
   * cannot be loaded (nothing changes then).
   */
  set(model: string, policy: TrafficPolicy, expectedSeq: number, actor: AuditActor): Promise<number | undefined>;
  /** Removes the deployment, whatever it is; with `promote`, points production at that version in the same change. */
  clear(model: string, actor: AuditActor, promote?: number): Promise<void>;
}

/** Where traffic goes at a step: the share of `percent` to the challenger, or every request copied to it at a shadow step. */
export function stepPolicy(step: { readonly kind: 'shadow' } | { readonly kind: 'traffic'; readonly percent: number }, champion: number, challenger: number): TrafficPolicy {
  if (step.kind === 'shadow') return { variants: [{ version: champion, weight: 100 }], shadows: [{ version: challenger, sample: 1 }] };
  if (step.percent >= 100) return { variants: [{ version: challenger, weight: 100 }], shadows: [] };
  return {
    variants: [
      { version: champion, weight: 100 - step.percent },
      { version: challenger, weight: step.percent },
    ],
    shadows: [],
  };
}
