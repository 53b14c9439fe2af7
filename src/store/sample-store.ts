/**
 * The monitor's sampled request log in the metadata database (monitor_samples): the raw inputs and
 * outputs of a small, capped share of requests, for people to inspect. (The prediction log and the
 * payload log are segment files in the blob store; see log-segment-store.ts.)
 *
 * Bulk inserts take all their rows as one JSON array text: one short statement to prepare and one
 * value to bind per batch, instead of one per column per row. Reading such an array is the one
 * thing SQLite and PostgreSQL spell differently, so that insert is the method each dialect writes
 * ({@link SqliteSampleStore}, {@link PostgresSampleStore}); the rest is portable.
 */
import type { Kysely } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

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

/** The sampled request log. */
export interface SampleStore {
  /**
   * Inserts samples given as a JSON array text of `[model, request id, version, at (ISO 8601
   * UTC), protocol, inputs (JSON text), outputs (JSON text)]` with distinct request ids; a request
   * id already sampled keeps its first sample.
   */
  appendSamples(rows: string): Promise<void>;
  /** The newest `limit` samples of a model, newest first. */
  latestSamples(model: string, limit: number): Promise<SampleRecord[]>;
  /** Deletes samples from before `before` (epoch ms). */
  prune(before: number): Promise<void>;
}

/**
 * What both dialects share. Writes go to `writer` (on SQLite a connection in a worker thread, so
 * that log writes never block the event loop), reads to `db`.
 */
export abstract class KyselySampleStore implements SampleStore {
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

  abstract appendSamples(rows: string): Promise<void>;

  async latestSamples(model: string, limit: number): Promise<SampleRecord[]> {
    const rows = await this.db.selectFrom('monitor_samples').selectAll().where('model', '=', model).orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ requestId: r.request_id, version: r.version, at: r.at, protocol: r.protocol, inputs: r.inputs, outputs: r.outputs }));
  }

  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('monitor_samples').where('at', '<', isoTime(before)).execute();
  }
}
