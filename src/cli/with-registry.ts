/** Opening the registry the configuration names, for the duration of one command. */
import { hostname, userInfo } from 'node:os';
import type { Config } from '../core/config.js';
import { type AuditActor, type Registry, openRegistry } from '../registry/index.js';

/** Runs `work` with the registry of `config.store`, closing it afterwards. */
export async function withRegistry<T>(config: Config, actor: AuditActor | undefined, work: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry({
    home: config.store.home,
    databaseUrl: config.store.databaseUrl,
    schema: config.store.databaseSchema,
    poolSize: config.store.databasePoolSize,
    lockWaitMs: config.store.databaseLockWaitMs,
    blobs: blobLocation(config),
    actor: actor ?? cliActor(),
  });
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

/** The blob store settings of a configuration, for openRegistry. */
export function blobLocation(config: Config): { blobs: string | undefined; s3Endpoint: string | undefined; s3ForcePathStyle: boolean } {
  return { blobs: config.store.blobs, s3Endpoint: config.store.s3Endpoint, s3ForcePathStyle: config.store.s3ForcePathStyle ?? false };
}

/** Changes made from the command line are recorded as `cli`, by `user@host` where known. */
export function cliActor(): AuditActor {
  try {
    return { interface: 'cli', actor: `${userInfo().username}@${hostname()}` };
  } catch {
    // userInfo() throws for a uid without a passwd entry (common in containers).
    return { interface: 'cli', actor: hostname() };
  }
}
