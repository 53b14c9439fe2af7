/**
 * The sampled request log on SQLite: bulk inserts read their JSON array of rows with `jsonb_each`,
 * whose rows are binary JSON (with `json_each` every column read parsed its row's text again,
 * about a third of the writer thread's time under load in `perf`).
 */
import { sql } from 'kysely';
import { KyselySampleStore } from './sample-store.js';

/** The sampled request log of a SQLite metadata database. */
export class SqliteSampleStore extends KyselySampleStore {
  async appendSamples(rows: string): Promise<void> {
    await sql`insert into monitor_samples (model, request_id, version, at, protocol, inputs, outputs)
      select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 from jsonb_each(${rows}) where true
      on conflict (model, request_id) do nothing`.execute(this.writer);
  }
}
