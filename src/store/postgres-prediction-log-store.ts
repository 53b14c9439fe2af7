/**
 * The prediction log on PostgreSQL: bulk inserts read their JSON array of rows with
 * `json_array_elements`, casting what PostgreSQL will not take from JSON text by itself.
 */
import { sql } from 'kysely';
import { KyselyPredictionLogStore } from './prediction-log-store.js';

/** The prediction log store of a PostgreSQL metadata database. */
export class PostgresPredictionLogStore extends KyselyPredictionLogStore {
  // PostgreSQL refuses to touch a row twice in one statement: the last row of each key is selected first.
  async appendPredictions(rows: string): Promise<void> {
    await sql`insert into monitor_predictions (model, request_id, version, at, rows, outputs)
      select distinct on (x ->> 0, x ->> 1) x ->> 0, x ->> 1, x ->> 2, x ->> 3, (x ->> 4)::integer, (x -> 5)::text
        from json_array_elements(${rows}::json) with ordinality as t(x, n) order by x ->> 0, x ->> 1, n desc
      on conflict (model, request_id) do update set version = excluded.version, at = excluded.at, rows = excluded.rows, outputs = excluded.outputs`.execute(this.writer);
  }

  async appendSamples(rows: string): Promise<void> {
    await sql`insert into monitor_samples (model, request_id, version, at, protocol, inputs, outputs)
      select x ->> 0, x ->> 1, x ->> 2, x ->> 3, x ->> 4, x ->> 5, x ->> 6 from json_array_elements(${rows}::json) as t(x)
      on conflict (model, request_id) do nothing`.execute(this.writer);
  }
}
