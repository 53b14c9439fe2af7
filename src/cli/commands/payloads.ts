/**
 * `berth payloads <model> [--since 7d] [--labelled] -o data.csv`: what the payload log holds for a
 * model, as CSV (monitor/payload-export-stream.ts owns its columns). Reads the metadata database
 * and the blob store that belongs with it (openLogBlobStore), as the server writes them, or with
 * `url` asks a running server's `GET /api/models/{name}/payloads` for the same file.
 */
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Config } from '../../core/config.js';
import { validateModelName } from '../../core/names.js';
import { DEFAULT_PAYLOAD_SINCE, payloadExport, payloadExportQuery, SegmentReaders } from '../../monitor/index.js';
import { RegistryReads } from '../../registry/index.js';
import { blobLocation } from '../with-registry.js';
import { monitorStores, openLogBlobStore, openMetadataStore } from '../../store/index.js';
import { remoteResponse } from '../remote-json.js';
import { writeAtomically } from '../write-atomically.js';

/** Options of {@link payloadsCommand}. */
export interface PayloadsCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** How far back, e.g. `7d` (default), or an ISO time. */
  readonly since?: string | undefined;
  /** Only rows with feedback. */
  readonly labelled?: boolean | undefined;
  /** The CSV file to write. */
  readonly output: string;
  /** A running server to export from instead of the database and blob store. */
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** What was exported. */
export interface PayloadsExport {
  readonly model: string;
  readonly rows: number;
  readonly labelled: number;
  readonly output: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Writes the model's logged payloads in the range to `output`. Throws BERTH_REGISTRY_NAME_INVALID
 * for a name that is no model name (a reference such as `loans@production` included),
 * BERTH_REGISTRY_MODEL_NOT_FOUND for a model neither registered nor logged, BERTH_MONITOR_RANGE_INVALID
 * for a bad `since`, BERTH_OUTPUT_FILE_UNWRITABLE, and BERTH_REMOTE_FAILED when the server refuses.
 */
export async function payloadsCommand(options: PayloadsCommandOptions): Promise<PayloadsExport> {
  validateModelName(options.model);
  if (options.url !== undefined) return remotePayloads(options);
  const { config } = options;
  const now = (options.now ?? Date.now)();
  const query = payloadExportQuery({ since: options.since, labelled: options.labelled === true }, now);
  const store = await openMetadataStore({ home: config.store.home, databaseUrl: config.store.databaseUrl, schema: config.store.databaseSchema, lockWaitMs: config.store.databaseLockWaitMs });
  try {
    const { blobs } = await openLogBlobStore({ ...blobLocation(config), home: config.store.home, databaseUrl: config.store.databaseUrl });
    try {
      const stores = monitorStores(store, { blobs, logWriter: false });
      // A model served from a folder with this database is not registered, yet has its log.
      await new RegistryReads(store.db).requireModel(options.model).catch(async (error: unknown) => {
        if ((await stores.segments.inRange(options.model, 'payloads', 0, now + 1)).length === 0) throw error;
      });
      const { stream, counts } = await payloadExport(stores, options.model, { ...query, format: 'csv' }, new SegmentReaders(stores));
      await writeAtomically(options.output, (file) => pipeline(stream, file));
      return { model: options.model, rows: counts.rows, labelled: counts.labelled, output: options.output, from: new Date(query.from).toISOString(), to: new Date(now).toISOString() };
    } finally {
      blobs.close();
    }
  } finally {
    await store.close();
  }
}

/** The server's export written as it arrives, its rows counted on the way. */
async function remotePayloads(options: PayloadsCommandOptions): Promise<PayloadsExport> {
  const params = new URLSearchParams({ format: 'csv', since: options.since ?? DEFAULT_PAYLOAD_SINCE, ...(options.labelled === true ? { labelled: 'true' } : {}) });
  const path = `/api/models/${encodeURIComponent(options.model)}/payloads?${params}`;
  const response = await remoteResponse({ url: options.url!, token: options.token }, path, { headers: { accept: 'text/csv' } }, `exporting the payload log of ${options.model}`);
  const counter = new CsvRowCounter();
  await writeAtomically(options.output, (file) => pipeline(Readable.fromWeb(response.body as ReadableStream), counter, file));
  const range = (name: string) => response.headers.get(`x-berth-export-${name}`) ?? '';
  return { model: options.model, rows: counter.rows, labelled: counter.labelled, output: options.output, from: range('from'), to: range('to') };
}

/** Passes CSV bytes through unchanged while counting its rows after the header, and those whose last cell (`actual`) is set. */
class CsvRowCounter extends Transform {
  rows = 0;
  labelled = 0;
  readonly #parser = parse({ relax_column_count: true });
  readonly #ended: Promise<void>;

  constructor() {
    super();
    let header = true;
    this.#parser.on('data', (record: string[]) => {
      if (header) {
        header = false;
        return;
      }
      this.rows += 1;
      if (record.at(-1) !== '') this.labelled += 1;
    });
    this.#ended = new Promise((resolve, reject) => this.#parser.once('end', resolve).once('error', reject));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.#parser.write(chunk);
    done(null, chunk);
  }

  override _flush(done: (error?: Error | null) => void): void {
    this.#parser.end();
    this.#ended.then(() => done(), done);
  }
}
