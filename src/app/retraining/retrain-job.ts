/**
 * What a retraining job records: the spec it was queued with (the champion, the trigger, the
 * window, the promotion and the policy's settings) and its outcome (the challenger, its
 * evaluation and the decision). Plain JSON, as the API shows it.
 */
import type { Promotion } from '../../core/retrain-policy.js';
import type { ChallengerEvaluation } from './judge-challenger.js';
import type { RetrainTrigger } from './train-challenger.js';

/** What a retraining job is asked to do. */
export interface RetrainJobSpec {
  readonly model: string;
  /** The champion's version number: the version retrained, the challenger's parent. */
  readonly champion: number;
  readonly trigger: RetrainTrigger;
  /** The window of labelled rows: how it was asked for (`7d`) and the instants, ISO 8601. */
  readonly since: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly promote: Promotion;
  readonly policy: {
    readonly margin: number;
    readonly forgetting: number;
    readonly minRows: number;
    readonly maxRows: number;
    readonly holdout: number;
    readonly seed: number;
    readonly algorithm?: 'auto' | 'linear' | 'gbdt' | undefined;
    readonly rollout?: Readonly<Record<string, unknown>> | undefined;
  };
  /** Who asked: an interface (`cli`, `api`, `server` for triggers) and, where known, the actor. */
  readonly actor: { readonly interface: string; readonly actor?: string };
  /** Times the job was queued again because the replica running it was lost. */
  readonly restarts?: number;
}

/** What was done with the challenger. */
export type RetrainDecision = 'candidate' | 'registered' | 'rollout' | 'promoted';

/** A retraining job's outcome. */
export interface RetrainOutcome {
  /** The challenger's version number. */
  readonly challenger: number;
  readonly parent: number;
  readonly evaluation: ChallengerEvaluation;
  /**
   * `candidate`: not better, registered and nothing moved; `registered`: better, waiting for a
   * person (promote manual, or a rollout that could not start); `rollout`: a rollout started;
   * `promoted`: production points at it.
   */
  readonly decision: RetrainDecision;
  /** Why, in a sentence or two. */
  readonly reason: string;
  /** The rollout started, with `decision: rollout`. */
  readonly rollout?: string;
  /** The challenger's training data kept in the blob store. */
  readonly kept: { readonly digest: string; readonly rows: number };
}
