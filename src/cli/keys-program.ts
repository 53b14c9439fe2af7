/**
 * `berth keys create|list|revoke` on the command line: API keys in the registry's database (the
 * same keys as `/api/keys`), printed as a table for people or JSON for scripts.
 */
import type { Command } from 'commander';
import type { ApiKeyRecord } from '../registry/index.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import { loadStoreConfig } from './load-config.js';
import { type StoreFlags, storeOptions } from './store-options.js';
import { collect } from './option-parsers.js';
import { plainTable } from './registry-output.js';

/** What the keys commands need from the entry point. */
export interface KeysProgramContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (text: string) => void;
}

/** The keys as a table. */
export function renderKeys(keys: readonly ApiKeyRecord[]): string {
  if (keys.length === 0) return 'No API keys. Create one with: berth keys create --scope predict';
  return plainTable(
    ['id', 'name', 'scopes', 'model', 'key', 'created', 'revoked'],
    keys.map((k) => [k.id, k.name, k.scopes.join(','), k.model ?? '(all)', k.hint, k.created, k.revoked ?? '-']),
  );
}

/** Registers `berth keys` on `program`. */
export function addKeysCommands(program: Command, context: KeysProgramContext): void {
  const config = (flags: StoreFlags) => loadStoreConfig(flags, context.env);
  // Keys live in the database alone.
  const withStore = (command: Command): Command => storeOptions(command, { blobs: false });
  const keys = program
    .command('keys')
    .description('Manage API keys: credentials with scopes (predict, read, admin), optionally for one model, sent as Authorization: Bearer <key>.');

  withStore(
    keys
      .command('create')
      .description('Create an API key and print it. The key is shown this once; only its hash is stored.')
      .requiredOption('--scope <scope>', 'predict (run models), read (read the management API and /metrics) or admin (everything); repeatable', collect)
      .option('--model <name>', 'limit the key to this model')
      .option('--name <name>', 'a name for people, e.g. the service that uses it'),
  ).action(async (opts: StoreFlags & { scope: string[]; model?: string; name?: string }) => {
    const created = await keysCreateCommand({ config: config(opts), scopes: opts.scope.flatMap((s) => s.split(',')), model: opts.model, name: opts.name });
    if (opts.json) return context.print(JSON.stringify(created, null, 2));
    const { record } = created;
    context.print(
      `Created API key ${record.id} (${record.name}): scopes ${record.scopes.join(', ')}${record.model ? `, model ${record.model}` : ''}.\n\n` +
        `  ${created.key}\n\nStore it now: it is not shown again. Send it as Authorization: Bearer <key>.`,
    );
  });

  withStore(keys.command('list').description('List API keys (never the keys themselves), revoked ones included.')).action(async (opts: StoreFlags) => {
    const list = await keysListCommand({ config: config(opts) });
    context.print(opts.json ? JSON.stringify(list, null, 2) : renderKeys(list));
  });

  withStore(keys.command('revoke').description('Revoke an API key: servers refuse it within a second.').argument('<id>', 'the key id, from berth keys list')).action(
    async (id: string, opts: StoreFlags) => {
      const revoked = await keysRevokeCommand({ config: config(opts), id });
      context.print(opts.json ? JSON.stringify(revoked, null, 2) : `Revoked API key ${revoked.id} (${revoked.name}).`);
    },
  );
}
