/** `berth keys create|list|revoke`: the registry's API keys. */
import type { Config } from '../../core/config.js';
import type { ApiKeyRecord, CreatedApiKey } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth keys create`. */
export interface KeysCreateOptions {
  readonly config: Config;
  readonly scopes: readonly string[];
  readonly model?: string | undefined;
  readonly name?: string | undefined;
}

/** Creates an API key; the key is in the result and shown nowhere else. */
export async function keysCreateCommand(options: KeysCreateOptions): Promise<CreatedApiKey> {
  return withRegistry(options.config, undefined, (registry) => registry.createKey({ scopes: options.scopes, model: options.model, name: options.name }));
}

/** Every API key, revoked ones included. */
export async function keysListCommand(options: { readonly config: Config }): Promise<ApiKeyRecord[]> {
  return withRegistry(options.config, undefined, (registry) => registry.listKeys());
}

/** Revokes an API key by id. */
export async function keysRevokeCommand(options: { readonly config: Config; readonly id: string }): Promise<ApiKeyRecord> {
  return withRegistry(options.config, undefined, (registry) => registry.revokeKey(options.id));
}
