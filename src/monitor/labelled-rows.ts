/**
 * Labelled traffic: the logged inputs of answered requests joined by request id to the ground truth
 * sent for them as feedback, one entry per row of a request. Retraining learns from it and judges
 * a challenger on it; the payload log provides it, so retraining never reads the log's storage.
 */
import type { FeedbackValue } from './feedback.js';

/** One labelled row of a logged request. */
export interface LabelledRow {
  readonly requestId: string;
  /** Which row of the request (0 for a single-row request). */
  readonly row: number;
  /** When the prediction was made, epoch ms. */
  readonly at: number;
  /** The version that answered. */
  readonly version: string;
  /** The row's inputs in the model's schema, by feature name. */
  readonly features: Readonly<Record<string, unknown>>;
  /** The row's outputs as logged, by output name. */
  readonly prediction: Readonly<Record<string, unknown>>;
  /** The true value sent as feedback. */
  readonly actual: FeedbackValue;
}

/** A half-open time range [from, to), epoch ms. */
export interface LabelledRange {
  readonly from: number;
  readonly to: number;
}

/** Where retraining finds labelled traffic. */
export interface LabelledRowSource {
  /** A model's labelled rows predicted in `range`, oldest first, at most `limit`. */
  labelledRows(model: string, range: LabelledRange, limit: number): Promise<readonly LabelledRow[]>;
  /** How many labelled rows a model has predicted in `range` (a policy's "N new labelled rows" trigger). */
  countLabelled(model: string, range: LabelledRange): Promise<number>;
}
