/** What every scenario of a bench run shares. */
import type { BenchModels } from './bench-models.js';
import type { BenchTiming, Measurement } from './measurement.js';
import type { QuietRunner } from './quiet-runner.js';

/** Settings and collected output of one bench run. */
export interface SuiteContext {
  readonly models: BenchModels;
  readonly timing: BenchTiming;
  readonly quick: boolean;
  /** Waits for quiet and repeats noisy measurements (see quiet-runner.ts). */
  readonly quiet: QuietRunner;
  /** Why the FastAPI server is skipped, when it is. */
  readonly pythonMissing: string | undefined;
  readonly measurements: Measurement[];
  /** Facts for the report's notes (checks, what `auto` chose, skipped parts). */
  readonly notes: string[];
}
