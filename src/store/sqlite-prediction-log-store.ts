/**
 * The prediction log on SQLite: bulk inserts read their JSON array of rows with `jsonb_each`,
 * whose rows are binary JSON (with `json_each` every column read parsed its row's text again,
 * about a third of the writer thread's time under load in `perf`).
 */
import { sql } from 'kysely';
import { KyselyPredictionLogStore } from './prediction-log-store.js';

/** The prediction log store of a SQLite metadata database. */
export class SqlitePredictionLogStore extends KyselyPredictionLogStore {
  // SQLite applies the rows of one insert in order, so of a request id that comes twice the later row wins.
  async appendPredictions(rows: string): Promise<void> {
    await sql`insert into monitor_predictions (model, request_id, version, at, rows, outputs)
      select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value -> 5 from jsonb_each(${rows}) where true
      on conflict (model, request_id) do update set version = excluded.version, at = excluded.at, rows = excluded.rows, outputs = excluded.outputs`.execute(this.writer);
  }

  async appendSamples(rows: string): Promise<void> {
    await sql`insert into monitor_samples (model, request_id, version, at, protocol, inputs, outputs)
      select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 from jsonb_each(${rows}) where true
      on conflict (model, request_id) do nothing`.execute(this.writer);
  }
}
