/**
 * `berth keys create|list|revoke` on the command line: API keys in the registry's database (the
 * same keys as `/api/keys`), printed as a table for people or JSON for scripts.
 */
import type { Command } from 'commander';
import type { ApiKeyRecord } from '../registry/index.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import { loadStoreConfig } from './load-config.js';
import { collect } from './option-parsers.js';
import { plainTable } from './registry-output.js';

/** What the keys commands need from the entry point. */
export interface KeysProgramContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (text: string) => void;
}

interface Flags {
  readonly home?: string;
  readonly database?: string;
  readonly config?: string;
  readonly json?: boolean;
}

function storeOptions(command: Command): Command {
  return command
    .option('--home <dir>', 'BERTH_HOME: where berth.db lives (env BERTH_HOME, default ./.berth)')
    .option('--database <url>', 'metadata database: postgres://… (env BERTH_DATABASE_URL; default BERTH_HOME/berth.db)')
    .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
    .option('--json', 'print JSON for scripts instead of a table');
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
  const config = (flags: Flags) => loadStoreConfig(flags, context.env);
  const keys = program
    .command('keys')
    .description('Manage API keys: credentials with scopes (predict, read, admin), optionally for one model, sent as Authorization: Bearer <key>.');

  storeOptions(
    keys
      .command('create')
      .description('Create an API key and print it. The key is shown this once; only its hash is stored.')
      .requiredOption('--scope <scope>', 'predict (run models), read (read the management API and /metrics) or admin (everything); repeatable', collect)
      .option('--model <name>', 'limit the key to this model')
      .option('--name <name>', 'a name for people, e.g. the service that uses it'),
  ).action(async (opts: Flags & { scope: string[]; model?: string; name?: string }) => {
    const created = await keysCreateCommand({ config: config(opts), scopes: opts.scope.flatMap((s) => s.split(',')), model: opts.model, name: opts.name });
    if (opts.json) return context.print(JSON.stringify(created, null, 2));
    const { record } = created;
    context.print(
      `Created API key ${record.id} (${record.name}): scopes ${record.scopes.join(', ')}${record.model ? `, model ${record.model}` : ''}.\n\n` +
        `  ${created.key}\n\nStore it now: it is not shown again. Send it as Authorization: Bearer <key>.`,
    );
  });

  storeOptions(keys.command('list').description('List API keys (never the keys themselves), revoked ones included.')).action(async (opts: Flags) => {
    const list = await keysListCommand({ config: config(opts) });
    context.print(opts.json ? JSON.stringify(list, null, 2) : renderKeys(list));
  });

  storeOptions(keys.command('revoke').description('Revoke an API key: servers refuse it within a second.').argument('<id>', 'the key id, from berth keys list')).action(
    async (id: string, opts: Flags) => {
      const revoked = await keysRevokeCommand({ config: config(opts), id });
      context.print(opts.json ? JSON.stringify(revoked, null, 2) : `Revoked API key ${revoked.id} (${revoked.name}).`);
    },
  );
}
