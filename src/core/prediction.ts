/** The named result of one row: what a pipeline decodes from a model's outputs. */

/** A classification result: the most probable label and every label's probability. */
export interface ClassificationPrediction {
  readonly label: string;
  readonly probabilities: Readonly<Record<string, number>>;
}

/** A regression result. */
export interface RegressionPrediction {
  readonly value: number;
}

/** One named result per row. */
export type Prediction = ClassificationPrediction | RegressionPrediction;
