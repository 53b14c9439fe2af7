/**
 * The monitor's prediction log and sampled request log in the metadata database: the per-request
 * table (monitor_predictions), the paged one (monitor_prediction_pages, many requests per row; see
 * src/monitor/prediction-pages.ts) and the samples (monitor_samples).
 *
 * Bulk inserts take all their rows as one JSON array text: one short statement to prepare and one
 * value to bind per batch, instead of one per column per row (preparing and binding cost more than
 * the insert). Reading such an array is the one thing SQLite and PostgreSQL spell differently, so
 * those inserts are the two methods each dialect writes ({@link SqlitePredictionLogStore},
 * {@link PostgresPredictionLogStore}); the rest is portable.
 */
import { type Kysely, sql } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** A sealed page of the prediction log. */
export interface PredictionPageRecord {
  /** A UUIDv7 given when the page was sealed: pages sort by it in the order they were sealed. */
  readonly id: string;
  readonly model: string;
  /** The range of the times of the page's request ids, epoch ms. */
  readonly idFromMs: number;
  readonly idToMs: number;
  /** When its latest request came, epoch ms (retention goes by it). */
  readonly lastAtMs: number;
  readonly entries: number;
  /** JSON text of the page's entries. */
  readonly body: string;
}

/** A logged prediction found by its request id. */
export interface LoggedPredictionRecord {
  readonly requestId: string;
  readonly version: string;
  /** ISO 8601 UTC. */
  readonly at: string;
  readonly rows: number;
  /** JSON text of the outputs as named columns. */
  readonly outputs: string;
}

/** An entry of the sampled request log. */
export interface SampleRecord {
  readonly requestId: string;
  readonly version: string;
  /** ISO 8601 UTC. */
  readonly at: string;
  readonly protocol: string;
  /** JSON text of the request's inputs and the response's outputs. */
  readonly inputs: string;
  readonly outputs: string;
}

/** The prediction log and the sampled request log. */
export interface PredictionLogStore {
  /**
   * Upserts prediction log rows given as a JSON array text of
   * `[model, request id, version, at (ISO 8601 UTC), rows, outputs (any JSON value)]`. A request id
   * that comes twice (in the batch or the table) keeps the later row.
   */
  appendPredictions(rows: string): Promise<void>;
  /** Inserts sealed pages, one row each. */
  appendPages(pages: readonly PredictionPageRecord[]): Promise<void>;
  /**
   * Inserts samples given as a JSON array text of `[model, request id, version, at (ISO 8601
   * UTC), protocol, inputs (JSON text), outputs (JSON text)]` with distinct request ids; a request
   * id already sampled keeps its first sample.
   */
  appendSamples(rows: string): Promise<void>;
  /** The per-request rows of a model with one of `requestIds`. */
  findPredictions(model: string, requestIds: readonly string[]): Promise<LoggedPredictionRecord[]>;
  /**
   * The bodies of a model's pages that may hold an id of one of `idTimes` (epoch ms): those whose
   * id range holds the time and ends at most `spanMs` after it; in the order they were sealed.
   */
  findPages(model: string, idTimes: readonly number[], spanMs: number): Promise<string[]>;
  /** The newest `limit` samples of a model, newest first. */
  latestSamples(model: string, limit: number): Promise<SampleRecord[]>;
  /** Deletes predictions and pages from before `logBefore` and samples from before `samplesBefore` (epoch ms). */
  prune(logBefore: number, samplesBefore: number): Promise<void>;
}

/**
 * What both dialects share. Writes go to `writer` (on SQLite a connection in a worker thread, so
 * that heavy log writes never block the event loop), reads to `db`.
 */
export abstract class KyselyPredictionLogStore implements PredictionLogStore {
  protected readonly db: Kysely<StoreTables>;
  readonly #writer: () => Kysely<StoreTables>;

  /** `writer` is asked for at the first write (MetadataStore.writer opens its connection then). */
  constructor(db: Kysely<StoreTables>, writer: () => Kysely<StoreTables> = () => db) {
    this.db = db;
    this.#writer = writer;
  }

  /** Where writes go. */
  protected get writer(): Kysely<StoreTables> {
    return this.#writer();
  }

  abstract appendPredictions(rows: string): Promise<void>;
  abstract appendSamples(rows: string): Promise<void>;

  async appendPages(pages: readonly PredictionPageRecord[]): Promise<void> {
    if (pages.length === 0) return;
    await this.writer
      .insertInto('monitor_prediction_pages')
      .values(pages.map((p) => ({ page_id: p.id, model: p.model, id_from_ms: p.idFromMs, id_to_ms: p.idToMs, last_at: isoTime(p.lastAtMs), entries: p.entries, body: p.body })))
      .execute();
  }

  async findPredictions(model: string, requestIds: readonly string[]): Promise<LoggedPredictionRecord[]> {
    if (requestIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('monitor_predictions')
      .select(['request_id', 'version', 'at', 'rows', 'outputs'])
      .where('model', '=', model)
      .where('request_id', 'in', requestIds)
      .execute();
    return rows.map((row) => ({ requestId: row.request_id, version: row.version, at: row.at, rows: Number(row.rows), outputs: row.outputs }));
  }

  async findPages(model: string, idTimes: readonly number[], spanMs: number): Promise<string[]> {
    const times = [...new Set(idTimes)];
    if (times.length === 0) return [];
    // A VALUES list, whose column is `column1` on both SQLite and PostgreSQL; the cast tells
    // PostgreSQL its type, which it would otherwise take for text. `cross join` makes SQLite loop
    // over the list outside and search the index inside: left to choose, with a few hundred values
    // it scanned every page of the model for each value instead (60 ms against 3.5 ms for 500 ids
    // over 1,563 pages).
    const list = sql.join(times.map((ms) => sql`(cast(${ms} as bigint))`));
    const { rows } = await sql<{ body: string }>`select body from monitor_prediction_pages where page_id in (
        select p.page_id from (values ${list}) as t cross join monitor_prediction_pages p
        where p.model = ${model} and p.id_to_ms >= t.column1 and p.id_to_ms <= t.column1 + ${spanMs} and p.id_from_ms <= t.column1)
      order by page_id`.execute(this.db);
    return rows.map((row) => row.body);
  }

  async latestSamples(model: string, limit: number): Promise<SampleRecord[]> {
    const rows = await this.db.selectFrom('monitor_samples').selectAll().where('model', '=', model).orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ requestId: r.request_id, version: r.version, at: r.at, protocol: r.protocol, inputs: r.inputs, outputs: r.outputs }));
  }

  async prune(logBefore: number, samplesBefore: number): Promise<void> {
    await this.db.deleteFrom('monitor_predictions').where('at', '<', isoTime(logBefore)).execute();
    await this.db.deleteFrom('monitor_prediction_pages').where('last_at', '<', isoTime(logBefore)).execute();
    await this.db.deleteFrom('monitor_samples').where('at', '<', isoTime(samplesBefore)).execute();
  }
}
