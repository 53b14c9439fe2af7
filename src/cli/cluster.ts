/**
 * Running `berth serve` as several processes on one port (`--workers N`), with node:cluster: the
 * primary forks the workers, prints one status line when they listen, relays SIGTERM/SIGINT, and
 * exits 0 once every worker has drained and exited.
 */
import cluster, { type Worker } from 'node:cluster';

/** The message a worker process sends when its server listens. */
export interface ListeningMessage {
  readonly berth: 'listening';
  readonly line: string;
}

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  readonly workers: number;
  readonly print: (line: string) => void;
  readonly log: (message: string) => void;
}

/** True in a process forked by {@link runPrimary}. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Tells the primary that this worker listens (a no-op outside a cluster). */
export function announceListening(line: string): void {
  if (cluster.isWorker) process.send?.({ berth: 'listening', line } satisfies ListeningMessage);
}

/**
 * Forks the workers and supervises them until a signal; resolves with the exit code. A worker
 * that dies unexpectedly is replaced; a worker that fails before it ever listened (a model that
 * cannot load) stops everything with its exit code.
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let announced = 0;
    const listening = new Set<Worker>();
    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (message: ListeningMessage) => {
        if (message?.berth !== 'listening') return;
        listening.add(worker);
        if (++announced === options.workers) options.print(`${message.line} (${options.workers} processes)`);
      });
    };
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
        return;
      }
      if (!listening.has(worker)) {
        // It never started serving: start-up failed (its own stderr says why). Stop the rest.
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
        resolve(code ?? 1);
        return;
      }
      options.log(`server process ${worker.process.pid} exited (${signal ?? code}); starting a replacement`);
      listening.delete(worker);
      announced--;
      fork();
    });
    // Every signal is relayed: the first starts the workers' drain, a second cuts its delay short.
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) resolve(0);
      for (const worker of workers) worker?.process.kill(signal);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGTERM'));
    for (let i = 0; i < options.workers; i++) fork();
  });
}
