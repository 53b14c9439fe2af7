/**
 * The metadata of the monitor's log segments: one row per segment file (its blob, model, kind,
 * time ranges and entry count), never one per request. The segments themselves live in the blob
 * store (src/monitor/log-segments.ts writes and reads them). Portable Kysely, the same on SQLite
 * and PostgreSQL.
 */
import { type Kysely, sql } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** Which log a segment belongs to. */
export type LogSegmentKind = 'predictions' | 'payloads';

/** A stored segment's metadata. */
export interface LogSegmentRecord {
  /** A UUIDv7 given when the segment was sealed: segments sort by it in the order they were sealed. */
  readonly id: string;
  readonly model: string;
  readonly kind: LogSegmentKind;
  /** The blob of the segment file. */
  readonly digest: string;
  readonly bytes: number;
  readonly entries: number;
  /** The range of the times of its UUIDv7 request ids (epoch ms), undefined when it holds none. */
  readonly idFromMs?: number | undefined;
  readonly idToMs?: number | undefined;
  /** A Bloom filter (base64) of its other request ids, undefined when there are none. */
  readonly otherIds?: string | undefined;
  /** When its first and latest requests came, epoch ms. */
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

/** The segment table. */
export interface LogSegmentStore {
  /** Records a segment whose blob is stored. */
  add(segment: LogSegmentRecord): Promise<void>;
  /**
   * A model's segments of `kind` whose id range holds one of `idTimes` (epoch ms) and ends at most
   * `spanMs` after it (segments are never wider than the span), in the order they were sealed.
   */
  findByIdTimes(model: string, kind: LogSegmentKind, idTimes: readonly number[], spanMs: number): Promise<LogSegmentRecord[]>;
  /** A model's segments of `kind` that hold ids not found by time (with their Bloom filters), in the order they were sealed. */
  withOtherIds(model: string, kind: LogSegmentKind): Promise<LogSegmentRecord[]>;
  /** A model's segments of `kind` with a request in [from, to) (epoch ms), in the order they were sealed. */
  inRange(model: string, kind: LogSegmentKind, from: number, to: number): Promise<LogSegmentRecord[]>;
  /** Segments of `kind` (of `model`, when given) whose latest request came before `before`, at most `limit`, oldest first. */
  expired(kind: LogSegmentKind, before: number, limit: number, model?: string): Promise<LogSegmentRecord[]>;
  /** Models with payload or prediction segments of `kind`. */
  models(kind: LogSegmentKind): Promise<string[]>;
  /** Deletes the rows of these segments (their blobs are the caller's to remove). */
  remove(ids: readonly string[]): Promise<void>;
}

type Row = StoreTables['monitor_log_segments'];

/** The segment table over a Kysely database of either dialect. */
export class KyselyLogSegmentStore implements LogSegmentStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  async add(s: LogSegmentRecord): Promise<void> {
    await this.#db
      .insertInto('monitor_log_segments')
      .values({
        segment_id: s.id,
        model: s.model,
        kind: s.kind,
        digest: s.digest,
        bytes: s.bytes,
        entries: s.entries,
        id_from_ms: s.idFromMs ?? null,
        id_to_ms: s.idToMs ?? null,
        other_ids: s.otherIds ?? null,
        first_at: isoTime(s.firstAtMs),
        last_at: isoTime(s.lastAtMs),
      })
      .execute();
  }

  async findByIdTimes(model: string, kind: LogSegmentKind, idTimes: readonly number[], spanMs: number): Promise<LogSegmentRecord[]> {
    const times = [...new Set(idTimes)];
    if (times.length === 0) return [];
    // A VALUES list, whose column is `column1` on both SQLite and PostgreSQL; the cast tells
    // PostgreSQL its type. `cross join` makes SQLite loop over the list outside and search the
    // index inside, rather than scan every segment of the model for each value.
    const list = sql.join(times.map((ms) => sql`(cast(${ms} as bigint))`));
    const { rows } = await sql<Row>`select * from monitor_log_segments where segment_id in (
        select s.segment_id from (values ${list}) as t cross join monitor_log_segments s
        where s.model = ${model} and s.kind = ${kind} and s.id_to_ms >= t.column1 and s.id_to_ms <= t.column1 + ${spanMs} and s.id_from_ms <= t.column1)
      order by segment_id`.execute(this.#db);
    return rows.map(record);
  }

  async withOtherIds(model: string, kind: LogSegmentKind): Promise<LogSegmentRecord[]> {
    const rows = await this.#db
      .selectFrom('monitor_log_segments')
      .selectAll()
      .where('model', '=', model)
      .where('kind', '=', kind)
      .where('other_ids', 'is not', null)
      .orderBy('segment_id')
      .execute();
    return rows.map(record);
  }

  async inRange(model: string, kind: LogSegmentKind, from: number, to: number): Promise<LogSegmentRecord[]> {
    const rows = await this.#db
      .selectFrom('monitor_log_segments')
      .selectAll()
      .where('model', '=', model)
      .where('kind', '=', kind)
      .where('last_at', '>=', isoTime(from))
      .where('first_at', '<', isoTime(to))
      .orderBy('segment_id')
      .execute();
    return rows.map(record);
  }

  async expired(kind: LogSegmentKind, before: number, limit: number, model?: string): Promise<LogSegmentRecord[]> {
    let select = this.#db.selectFrom('monitor_log_segments').selectAll().where('kind', '=', kind).where('last_at', '<', isoTime(before));
    if (model !== undefined) select = select.where('model', '=', model);
    return (await select.orderBy('last_at').limit(limit).execute()).map(record);
  }

  async models(kind: LogSegmentKind): Promise<string[]> {
    const rows = await this.#db.selectFrom('monitor_log_segments').select('model').where('kind', '=', kind).distinct().orderBy('model').execute();
    return rows.map((r) => r.model);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.deleteFrom('monitor_log_segments').where('segment_id', 'in', ids).execute();
  }
}

function record(row: Row): LogSegmentRecord {
  return {
    id: row.segment_id,
    model: row.model,
    kind: row.kind as LogSegmentKind,
    digest: row.digest,
    bytes: Number(row.bytes),
    entries: Number(row.entries),
    idFromMs: row.id_from_ms === null ? undefined : Number(row.id_from_ms),
    idToMs: row.id_to_ms === null ? undefined : Number(row.id_to_ms),
    otherIds: row.other_ids ?? undefined,
    firstAtMs: Date.parse(row.first_at),
    lastAtMs: Date.parse(row.last_at),
  };
}
