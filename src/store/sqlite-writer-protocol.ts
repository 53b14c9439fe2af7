/** Messages between the SQLite writer dialect and its thread. */

/** A statement to run, or the order to close the connection. */
export type WriterRequest =
  | { readonly op: 'query'; readonly id: number; readonly sql: string; readonly parameters: readonly unknown[] }
  | { readonly op: 'close'; readonly id: number };

/** The rows of a reading statement, the changes of a writing one, or the error (with SQLite's code). */
export interface WriterReply {
  readonly id: number;
  readonly rows: unknown[];
  readonly changes?: number;
  readonly lastInsertRowid?: bigint;
  readonly error?: { readonly message: string; readonly code?: string };
}
