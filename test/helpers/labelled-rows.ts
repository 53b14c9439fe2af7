/**
 * Labelled traffic as a data fixture: the rows of a dataset CSV (test/fixtures/datasets) as the
 * payload log would give them, joined with their truth, behind the LabelledRowSource port that
 * retraining reads. For tests of retraining alone; the end-to-end test uses the server's real
 * payload log and feedback.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledRange, LabelledRow, LabelledRowSource } from '../../dist/monitor/index.js';
import { parseCsv } from '../../dist/train/index.js';
import { DATASETS } from './trained.js';

/** Options of {@link labelledRowsOf}. */
export interface LabelledRowsOptions {
  /** The column that holds the truth. */
  readonly target: string;
  /** When the first row was predicted, epoch ms; rows follow one millisecond apart. */
  readonly at: number;
  readonly version?: string;
  /** Only the first rows. */
  readonly limit?: number;
  /** Change each row's features (rename one, say) before it is logged. */
  readonly edit?: (features: Record<string, unknown>) => Record<string, unknown>;
}

/** A dataset's rows as labelled rows: numbers as numbers, empty fields as null. */
export function labelledRowsOf(dataset: string, options: LabelledRowsOptions): LabelledRow[] {
  const table = parseCsv(readFileSync(join(DATASETS, dataset)), dataset);
  const targetIndex = table.header.indexOf(options.target);
  const rows = options.limit === undefined ? table.rows : table.rows.slice(0, options.limit);
  return rows.map((row, i) => {
    let features: Record<string, unknown> = {};
    table.header.forEach((column, c) => {
      if (c === targetIndex) return;
      const text = row[c]!;
      features[column] = text === '' ? null : Number.isFinite(Number(text)) ? Number(text) : text;
    });
    if (options.edit) features = options.edit(features);
    const truth = row[targetIndex]!;
    return {
      requestId: `req-${i}`,
      row: 0,
      at: options.at + i,
      version: options.version ?? '1',
      features,
      prediction: {},
      actual: Number.isFinite(Number(truth)) ? Number(truth) : truth,
    };
  });
}

/** An in-memory LabelledRowSource over rows per model. */
export class MemoryLabelledRows implements LabelledRowSource {
  readonly #rows = new Map<string, LabelledRow[]>();

  /** Adds rows of a model. */
  add(model: string, rows: readonly LabelledRow[]): void {
    this.#rows.set(model, [...(this.#rows.get(model) ?? []), ...rows].sort((a, b) => a.at - b.at));
  }

  /** Forgets a model's rows. */
  clear(model: string): void {
    this.#rows.delete(model);
  }

  async labelledRows(model: string, range: LabelledRange, limit: number): Promise<readonly LabelledRow[]> {
    return (this.#rows.get(model) ?? []).filter((r) => r.at >= range.from && r.at < range.to).slice(0, limit);
  }

  async countLabelled(model: string, range: LabelledRange): Promise<number> {
    return (this.#rows.get(model) ?? []).filter((r) => r.at >= range.from && r.at < range.to).length;
  }
}
