/**
 * What the parts of an open window weigh in memory, so that a memory budget can count a version's
 * windows with its sessions: each sketch adds its parts up with these sizes (V8's on 64-bit Node,
 * rounded up; test/monitor/window-footprint.test.ts keeps the sum close to the heap).
 */

/** A NumericSketch object without its map, batch or quantile sketch. */
export const NUMERIC_SKETCH_BYTES = 200;
/** A CategoricalSketch object without its map. */
export const CATEGORICAL_SKETCH_BYTES = 160;
/** A KllSketch object with its capacities. */
export const KLL_SKETCH_BYTES = 240;
/** One value held by a KllSketch level (a double in a growable array, with its slack). */
export const KLL_VALUE_BYTES = 12;
/** An empty JavaScript array. */
export const ARRAY_BYTES = 32;
/** An empty Map. */
export const MAP_BYTES = 200;
/** One Map entry, its table slot included. */
export const MAP_ENTRY_BYTES = 56;
/** A typed array's object and backing store header, beside its bytes. */
export const TYPED_ARRAY_BYTES = 180;
/** A string's header, beside two bytes a character. */
export const STRING_BYTES = 24;
/** A window's own objects: counters, the column tables, the latency sketch object. */
export const LIVE_WINDOW_BYTES = 1200;
/** One column's entry in a window and its spec in the column catalog. */
export const WINDOW_COLUMN_BYTES = 200;

/** What a memory budget reserves for a version's open windows until they are measured: about 24 quiet numeric columns. */
export const OPEN_WINDOW_RESERVE_BYTES = 32 * 1024;
