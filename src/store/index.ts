/**
 * The store layer's public entry: the metadata database (Kysely over SQLite or PostgreSQL, with
 * migrations) and the content-addressed blob store.
 */
export { type BlobInfo, type BlobStore, digestHex, isDigest } from './blob-store.js';
export { fsyncDirectory, hashBytes, hashFile, temporarySibling, writeFileAtomic } from './durable-files.js';
export { FileBlobStore } from './file-blob-store.js';
export { type BlobStoreLocation, openBlobStore, parseS3Url } from './open-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { type MetadataStore, type MetadataStoreOptions, SQLITE_FILE, openMetadataStore, storeDialectFor } from './metadata-store.js';
export { STORE_MIGRATIONS } from './migrations.js';
export { redactUrl } from './postgres-store-dialect.js';
export type { StoreDialect } from './store-dialect.js';
export type { StoreKind, StoreMigration } from './store-migration.js';
export type * from './store-tables.js';
