/**
 * Another process holding a SQLite file's write lock: a child Node process opens the file with
 * better-sqlite3, runs `BEGIN IMMEDIATE` and keeps the transaction open until told to let go,
 * as a `berth register` in the middle of its write would.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

// The child: lock, say so, wait for a line on stdin, roll back, say so, exit.
const HOLDER = `
const Database = require(${JSON.stringify(BETTER_SQLITE3)});
const db = new Database(process.argv[1]);
db.exec('begin immediate');
process.stdout.write('locked\\n');
process.stdin.once('data', () => {
  db.exec('rollback');
  db.close();
  process.stdout.write('released\\n');
  process.exit(0);
});
`;

/** A process that holds the write lock until `release()`. */
export interface SqliteLockHolder {
  readonly pid: number;
  /** Rolls back the holder's transaction (freeing the lock) and waits for it to exit; idempotent. */
  release(): Promise<void>;
}

/** Starts a process that takes the write lock of the SQLite file `file`; resolves once it holds it. */
export function holdSqliteWriteLock(file: string): Promise<SqliteLockHolder> {
  const child = spawn(process.execPath, ['-e', HOLDER, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout === 'locked\n') {
        let released: Promise<void> | undefined;
        resolve({
          pid: child.pid!,
          release: () =>
            (released ??= (async () => {
              child.stdin.end('release\n');
              const code = await exited;
              if (code !== 0 || !stdout.endsWith('released\n')) throw new Error(`the lock holder exited with ${code}: ${stdout}${stderr}`);
            })()),
        });
      }
    });
    void exited.then((code) => reject(new Error(`the lock holder exited (${code}) before it held the lock: ${stderr}`)));
  });
}
