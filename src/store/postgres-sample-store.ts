/**
 * The sampled request log on PostgreSQL: bulk inserts read their JSON array of rows with
 * `json_array_elements`, casting what PostgreSQL will not take from JSON text by itself.
 */
import { sql } from 'kysely';
import { KyselySampleStore } from './sample-store.js';

/** The sampled request log of a PostgreSQL metadata database. */
export class PostgresSampleStore extends KyselySampleStore {
  async appendSamples(rows: string): Promise<void> {
    await sql`insert into monitor_samples (model, request_id, version, at, protocol, inputs, outputs)
      select x ->> 0, x ->> 1, x ->> 2, x ->> 3, x ->> 4, x ->> 5, x ->> 6 from json_array_elements(${rows}::json) as t(x)
      on conflict (model, request_id) do nothing`.execute(this.writer);
  }
}
