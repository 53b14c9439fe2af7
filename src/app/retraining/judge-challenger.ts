/**
 * Whether a challenger beats its champion: a pure function over the two models' metrics on the
 * same rows. Better means ahead on the recent held-out labelled rows by the policy's margin on the
 * task's main metric (log loss for classifiers, a proper score that sees calibration as well as
 * ranking, with ROC AUC no lower; R² for regressors), and not behind on the original validation
 * rows by more than the policy allows (no catastrophic forgetting). When there are no original
 * validation rows to check (a champion judged on a validation file that was not kept), the
 * verdict rests on the recent rows alone and says so.
 */
import type { Metrics } from '../../train/index.js';

/** One model's figures on one set of rows. */
export interface EvaluatedMetrics {
  readonly rows: number;
  /** ROC AUC and log loss (and accuracy) for classifiers; R², RMSE (and MAE) for regressors. */
  readonly metrics: Readonly<Record<string, number | null>>;
}

/** Challenger and champion on the same rows. */
export interface EvaluationRow {
  /** `recent`: held-out labelled rows of the window; `original`: the original validation rows. */
  readonly rows: 'recent' | 'original';
  readonly count: number;
  readonly challenger: Readonly<Record<string, number | null>>;
  readonly champion: Readonly<Record<string, number | null>>;
  /** On the original validation rows: which rows they are and why neither model trained on them, in words. */
  readonly rowsHow?: string;
  /**
   * On the original validation rows of a champion that was refitted on every row (and so has
   * seen them): its figures as training recorded them, before the refit. The fair baseline.
   */
  readonly championRecorded?: Readonly<Record<string, number | null>>;
  /** Where `championRecorded` comes from, in words (which rows, which model training fitted). */
  readonly championRecordedHow?: string;
}

/** The evaluation table and the verdict. */
export interface ChallengerEvaluation {
  /** The metric the verdict is on: `logLoss` for classifiers, `r2` for regressors. */
  readonly metric: string;
  readonly table: readonly EvaluationRow[];
  readonly better: boolean;
  /** Why, in a sentence. */
  readonly reason: string;
  /** Why the forgetting check did not run, when it could not (there is then no `original` row). */
  readonly forgettingSkipped?: string;
}

/** How much better is better. */
export interface JudgeOptions {
  readonly margin: number;
  readonly forgetting: number;
  /** Why there are no original validation rows to check forgetting on; recorded with the verdict. */
  readonly forgettingSkipped?: string | undefined;
}

/** The figures a verdict and the table use, from the trainer's metrics; null where undefined (JSON has no NaN). */
export function evaluatedFigures(metrics: Metrics): Record<string, number | null> {
  const figures: Record<string, number> =
    metrics.task === 'classification'
      ? { rocAuc: metrics.rocAuc, logLoss: metrics.logLoss, accuracy: metrics.accuracy }
      : { r2: metrics.r2, rmse: metrics.rmse, mae: metrics.mae };
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/** Judges the challenger on `recent` (the decision) and `original` (the forgetting check). */
export function judgeChallenger(task: 'classification' | 'regression', recent: EvaluationRow, original: EvaluationRow | undefined, options: JudgeOptions): ChallengerEvaluation {
  const metric = task === 'regression' ? 'r2' : 'logLoss';
  const table = original ? [recent, original] : [recent];
  // How much better `a` is than `b` on the main metric (log loss: lower is better).
  const gainOf = (a: number, b: number): number => (metric === 'logLoss' ? b - a : a - b);
  const show = (v: number | null | undefined): string => (v === null || v === undefined ? 'undefined' : v.toFixed(4));
  const challenger = recent.challenger[metric];
  const champion = recent.champion[metric];
  const skipped = original ? undefined : options.forgettingSkipped;
  const verdict = (better: boolean, reason: string): ChallengerEvaluation => ({
    metric,
    table,
    better,
    ...(skipped !== undefined ? { reason: `${reason}; not checked for forgetting: ${skipped}`, forgettingSkipped: skipped } : { reason }),
  });
  if (challenger === null || challenger === undefined || champion === null || champion === undefined) {
    return verdict(false, `${metric} is undefined on the ${recent.count} recent held-out rows, so the challenger cannot be shown to be better`);
  }
  const gain = gainOf(challenger, champion);
  const figures = `${metric} ${show(challenger)} against the champion's ${show(champion)}`;
  if (gain < options.margin) {
    return verdict(false, `on the ${recent.count} recent held-out rows its ${figures}, not better by the margin ${options.margin}`);
  }
  if (task === 'classification') {
    const [aucNew, aucOld] = [recent.challenger.rocAuc, recent.champion.rocAuc];
    if (aucNew !== null && aucNew !== undefined && aucOld !== null && aucOld !== undefined && aucNew < aucOld) {
      return verdict(false, `on the ${recent.count} recent held-out rows its ${figures}, but its ROC AUC is lower (${show(aucNew)} against ${show(aucOld)})`);
    }
  }
  if (original) {
    const baseline = original.championRecorded ?? original.champion;
    const before = baseline[metric];
    const after = original.challenger[metric];
    if (before !== null && before !== undefined && after !== null && after !== undefined && -gainOf(after, before) > options.forgetting) {
      return verdict(
        false,
        `it is better on recent rows (${figures}) but forgets: on the ${original.count} original validation rows its ${metric} is ${show(after)} against the champion's ${show(before)}${original.championRecorded ? ' (as training recorded it)' : ''}, worse by more than ${options.forgetting}`,
      );
    }
  }
  return verdict(true, `on the ${recent.count} recent held-out rows its ${figures} (better by ${gain.toFixed(4)}, margin ${options.margin})`);
}
