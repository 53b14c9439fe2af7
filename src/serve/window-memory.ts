/**
 * The monitor's open windows counted in the memory budget of loaded versions: every `intervalMs`
 * the windows of each resident version are measured (their sketches' estimated bytes) and attached
 * to it, so windows that grow unload idle versions as a load would; a version's windows are written
 * and freed when it leaves memory (the budget's `released`, wired in server.ts).
 */
import type { MonitorService } from '../monitor/index.js';
import type { MemoryBudget } from '../runtime/memory-budget.js';

/** Options of {@link startWindowMemory}. */
export interface WindowMemoryOptions {
  readonly budget: MemoryBudget;
  readonly monitor: MonitorService;
  readonly intervalMs: number;
}

/** Attaches each resident version's window bytes to it once now. */
export function attachWindowBytes(budget: MemoryBudget, monitor: MonitorService): void {
  const bytes = monitor.windowBytes();
  for (const version of budget.residents()) budget.attach(version, bytes.get(`${version.name}\u0000${version.version}`) ?? 0);
}

/** Starts measuring every `intervalMs`; the timer never keeps the process alive. Returns what stops it. */
export function startWindowMemory(options: WindowMemoryOptions): { close(): void } {
  const timer = setInterval(() => attachWindowBytes(options.budget, options.monitor), options.intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
