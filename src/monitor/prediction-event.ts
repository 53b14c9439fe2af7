/**
 * What the data plane tells the monitor about each prediction request. It is filled after the
 * response is sent (the data plane calls `MonitorService.record` from its AfterResponseQueue, once
 * per turn of the event loop), from what the request already decoded: no copy, no serialisation
 * on the request path.
 *
 * Features and outputs are columns (one array per name, one value per row), the form both APIs
 * hold them in and the one sketches consume fastest:
 * - named-feature predictions (`POST /api/models/{ref}/predict`): the schema's fields as the
 *   caller sent them, and the outputs `label` and `probability_<label>` (classification) or
 *   `value` (regression);
 * - OIP / KServe V1 tensors: each column of a 2-D numeric input `x` of shape [n, k] as `x[0]` …
 *   `x[k-1]` (capped: the monitor keeps at most `maxColumns` names per version), and the output
 *   tensors' columns likewise.
 *
 * The monitor keeps references to these arrays until they are written (sampled requests are
 * written in batches; the prediction log keeps outputs until their page is sealed), so the caller
 * must not reuse them for another request.
 */

/** The protocol a prediction came through. */
export type PredictionProtocol = 'v2-rest' | 'v2-grpc' | 'v1-rest' | 'predict';

/** How a request ended: answered, refused as the caller's mistake, or failed in the server. */
export type PredictionOutcome = 'success' | 'client_error' | 'server_error';

/** Values of named columns, one array per name, one value per row. */
export type Columns = Readonly<Record<string, readonly unknown[]>>;

/** The features and outputs of some rows of a request. */
export interface EventColumns {
  readonly features?: Columns;
  readonly outputs?: Columns;
}

/** Which of a request's columns to read. */
export interface ColumnParts {
  readonly features: boolean;
  readonly outputs: boolean;
}

/** Rows of a request: the range [from, to), or the rows at these (ascending) indexes. */
export type RowSelection = { readonly from: number; readonly to: number } | Uint32Array;

/**
 * A large request's columns, made on demand for the rows asked for: the window sketches a sample
 * of its rows and the logs take them a slice per turn of the event loop, so the loop never makes
 * an array of every row at once. Reading has no side effects and gives the values the full
 * columns would hold at those rows.
 */
export interface RowColumns {
  /** Whether it gives features, and outputs (an event with `outputs: {}` has outputs). */
  readonly features: boolean;
  readonly outputs: boolean;
  /** Columns it gives at most, to size the slices. */
  readonly width: number;
  /** The columns of `parts` (default both) at `rows`. */
  read(rows: RowSelection, parts?: ColumnParts): EventColumns;
}

/** One prediction request, as the monitor records it. */
export interface PredictionEvent {
  readonly model: string;
  /** The served version (`LoadedVersion.version` as text, e.g. `3`). */
  readonly version: string;
  /** The request id (`x-request-id`), which feedback quotes. */
  readonly requestId: string;
  /** When the request arrived, epoch ms. */
  readonly at: number;
  readonly protocol: PredictionProtocol;
  /** Rows predicted (the batch size); 0 when the request failed before its rows were known. */
  readonly rows: number;
  /** Time from arrival to response, ms. */
  readonly latencyMs: number;
  readonly outcome: PredictionOutcome;
  /** Input features as columns (absent for failed requests or when unknown). */
  readonly features?: Columns;
  /** Outputs as columns. */
  readonly outputs?: Columns;
  /**
   * For a request of more than LARGE_EVENT_ROWS rows, its features and outputs read on demand
   * (then `features` and `outputs` are absent).
   */
  readonly rowColumns?: RowColumns;
  /**
   * The request and response bodies as parsed JSON, for the sampled log only; when absent a
   * sample holds the feature and output columns. Read only when the request is sampled.
   */
  readonly request?: unknown;
  readonly response?: unknown;
}
