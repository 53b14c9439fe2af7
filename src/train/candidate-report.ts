/** The names and reports of the trainers a training run tries. */
import type { Metrics } from './metrics.js';

/** Which trainers to try: `auto` fits both and keeps the better on validation. */
export type AlgorithmChoice = 'auto' | 'linear' | 'gbdt';

/** A trainer. */
export type Algorithm = 'linear' | 'gbdt';

/** How one trainer did on the validation rows, with the hyperparameters it chose. */
export interface CandidateReport {
  readonly algorithm: Algorithm;
  readonly method: 'ridge-regression' | 'logistic-regression' | 'gbdt';
  readonly parameters: Readonly<Record<string, number | string | null>>;
  readonly metrics: Metrics;
}
