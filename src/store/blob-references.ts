/**
 * Which blobs the metadata database still points at: registered versions' files and kept training and validation
 * data, the uploads of training jobs that have not finished (or whose data is to be kept), the
 * bundles training jobs made, and the monitor's log segments. Whoever removes blobs asks here first, so that one owner's
 * clean-up never removes a blob another still needs.
 */
import type { Kysely } from 'kysely';
import type { StoreTables } from './store-tables.js';

/** Every digest some row references. */
export async function referencedDigests(db: Kysely<StoreTables>): Promise<Set<string>> {
  const [versions, jobFiles, uploads, segments, kept] = await Promise.all([
    db.selectFrom('version_files').select('digest').distinct().execute(),
    db.selectFrom('training_job_files').select('digest').distinct().execute(),
    unfinished(db).select('upload_digest as digest').where('upload_digest', 'is not', null).distinct().execute(),
    db.selectFrom('monitor_log_segments').select('digest').distinct().execute(),
    db.selectFrom('version_data').select('digest').distinct().execute(),
  ]);
  return new Set([...versions, ...jobFiles, ...uploads, ...segments, ...kept].map((r) => r.digest!));
}

/** Those of `digests` that some row still references. */
export async function stillReferenced(db: Kysely<StoreTables>, digests: readonly string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const [versions, jobFiles, uploads, segments, kept] = await Promise.all([
    db.selectFrom('version_files').select('digest').where('digest', 'in', digests).execute(),
    db.selectFrom('training_job_files').select('digest').where('digest', 'in', digests).execute(),
    unfinished(db).select('upload_digest as digest').where('upload_digest', 'in', digests).execute(),
    db.selectFrom('monitor_log_segments').select('digest').where('digest', 'in', digests).execute(),
    db.selectFrom('version_data').select('digest').where('digest', 'in', digests).execute(),
  ]);
  return new Set([...versions, ...jobFiles, ...uploads, ...segments, ...kept].map((r) => r.digest!));
}

/**
 * A finished job keeps its upload's digest for the record, but no longer needs the blob, unless
 * the upload is to be kept as its registered version's training data.
 */
function unfinished(db: Kysely<StoreTables>) {
  return db.selectFrom('training_jobs').where((eb) => eb.or([eb('state', 'in', ['queued', 'running']), eb('keep_data', '=', 1)]));
}
