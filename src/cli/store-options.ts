/**
 * The flags every command that opens the registry shares, named and described once so that
 * `--help` reads the same on every command.
 */
import type { Command } from 'commander';

/** What the store flags parse into (see {@link storeOptions}). */
export interface StoreFlags {
  readonly home?: string;
  readonly database?: string;
  readonly blobs?: string;
  readonly config?: string;
  readonly json?: boolean;
}

/** What the remote flags parse into (see {@link remoteOptions}). */
export interface RemoteFlags {
  readonly url?: string;
  readonly token?: string;
}

export interface StoreOptionsChoice {
  /** Adds `--blobs` (default true); false where the command reads only the database. */
  readonly blobs?: boolean;
  /** Adds `--json` (default true). */
  readonly json?: boolean;
}

/** Adds `--home`, `--database`, `--blobs`, `--config` and `--json` to `command`. */
export function storeOptions(command: Command, choice: StoreOptionsChoice = {}): Command {
  const blobs = choice.blobs ?? true;
  command
    .option('--home <dir>', `BERTH_HOME: where ${blobs ? 'berth.db and blobs/ live' : 'berth.db lives'} (env BERTH_HOME, default ./.berth)`)
    .option('--database <url>', 'metadata database: postgres://… (env BERTH_DATABASE_URL; default BERTH_HOME/berth.db)');
  if (blobs) command.option('--blobs <url>', 'blob store: s3://bucket/prefix or a folder (env BERTH_BLOBS; default BERTH_HOME/blobs)');
  command.option('--config <file>', 'JSON config file (env BERTH_CONFIG)');
  if (choice.json ?? true) command.option('--json', 'print JSON for scripts');
  return command;
}

/** Adds `--url` and `--token`: the command goes through a running server's API instead of the database. */
export function remoteOptions(command: Command): Command {
  return command
    .option('--url <url>', "go through this running berth server's API instead of the database (e.g. http://berth.internal:8080)")
    .option('--token <token>', 'admin token or API key with the admin scope for --url (env BERTH_TOKEN)');
}

/** The server `--url`/`--token` name (the token falling back to BERTH_TOKEN), or undefined to use the database. */
export function remoteOf(flags: RemoteFlags, env: Readonly<Record<string, string | undefined>>): { url: string; token: string | undefined } | undefined {
  return flags.url === undefined ? undefined : { url: flags.url, token: flags.token ?? env.BERTH_TOKEN };
}
