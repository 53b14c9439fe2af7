/**
 * Rows of JSON text waiting to be written, sealed into batches (each a JSON array text) of a fixed
 * number of rows: a JsonArrayBuilder (bytes, not objects, until sealed: see there) and the queue
 * of sealed batches, which a failed write puts back in front of.
 *
 * @example
 *   const rows = new JsonRowBuffer(2000);
 *   rows.push('["loans","0190…",1]');
 *   rows.seal();
 *   const batch = rows.shift();        // { text: '[["loans","0190…",1]]', rows: 1 }
 */
import { JsonArrayBuilder } from './json-array-builder.js';

/** Rows sealed together: `text` is a JSON array of `rows` rows. */
export interface JsonBatch {
  readonly text: string;
  readonly rows: number;
}

/** See the module comment. */
export class JsonRowBuffer {
  readonly #open = new JsonArrayBuilder();
  #sealed: JsonBatch[] = [];
  #sealedRows = 0;

  constructor(private readonly rowsPerBatch: number) {}

  /** Rows waiting, sealed or not. */
  get rows(): number {
    return this.#sealedRows + this.#open.count;
  }

  /** Appends one row: `row` must be one JSON value. */
  push(row: string): void {
    this.#open.push(row);
    if (this.#open.count >= this.rowsPerBatch) this.seal();
  }

  /** Sealed batches waiting. */
  get batches(): number {
    return this.#sealed.length;
  }

  /** Seals the rows not sealed yet into a batch of their own (if there are any). */
  seal(): void {
    const rows = this.#open.count;
    if (rows === 0) return;
    this.#sealed.push({ text: this.#open.take(), rows });
    this.#sealedRows += rows;
  }

  /** Takes the oldest sealed batch; undefined when none is sealed. */
  shift(): JsonBatch | undefined {
    const batch = this.#sealed.shift();
    if (batch !== undefined) this.#sealedRows -= batch.rows;
    return batch;
  }

  /** Puts a batch back in front (its write failed, it is tried again first). */
  unshift(batch: JsonBatch): void {
    this.#sealed.unshift(batch);
    this.#sealedRows += batch.rows;
  }

  /** Drops the newest sealed batches until at most `max` rows wait (or none is left); returns the rows dropped. */
  trim(max: number): number {
    let dropped = 0;
    while (this.rows > max && this.#sealed.length > 0) {
      const batch = this.#sealed.pop()!;
      this.#sealedRows -= batch.rows;
      dropped += batch.rows;
    }
    return dropped;
  }
}
