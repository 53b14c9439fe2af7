/**
 * Stopping with the process that started us. `npx berth serve` and `npm run` run Berth under
 * npm, which exits on SIGTERM without passing the signal on, leaving the server running as an
 * orphan; so under npm the server watches its parent and shuts down as on SIGTERM when it is gone.
 * (Outside npm, an orphaned server is what `nohup berth serve &` asks for, and it keeps running.)
 */

/** How often the parent is checked, in ms. */
const PERIOD_MS = 500;

/** True while process `pid` exists (signal 0 checks without sending anything). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Calls `onGone` once when this process's parent exits. Returns a stop function. */
export function watchParent(onGone: () => void): () => void {
  // process.ppid is read once at start-up, so the parent is probed instead.
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (exists(parent)) return;
    clearInterval(timer);
    onGone();
  }, PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
