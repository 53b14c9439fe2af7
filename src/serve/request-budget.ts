/**
 * Fixed-window request budgets per client for transports that no Fastify plugin covers (gRPC):
 * each client may make `perMinute` calls in a minute that starts with its first call, as
 * @fastify/rate-limit counts HTTP requests. A client is its live credential (see
 * AccessControl.identify) or else its address.
 */

/** Options of {@link RequestBudget}. */
export interface RequestBudgetOptions {
  readonly perMinute: number;
  readonly now?: () => number;
}

const WINDOW_MS = 60_000;
/** Most clients remembered; past it expired windows are dropped, then all, so many addresses cannot grow it. */
const CLIENT_LIMIT = 10_000;

/** Counts calls per client; `take` says whether one more is allowed. */
export class RequestBudget {
  readonly perMinute: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { count: number; readonly start: number }>();

  constructor(options: RequestBudgetOptions) {
    this.perMinute = options.perMinute;
    this.#now = options.now ?? Date.now;
  }

  /** Counts a call of `client`: undefined when within its budget, else the seconds until the window ends. */
  take(client: string): number | undefined {
    const now = this.#now();
    let window = this.#windows.get(client);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      if (window === undefined && this.#windows.size >= CLIENT_LIMIT) this.#sweep(now);
      window = { count: 0, start: now };
      this.#windows.set(client, window);
    }
    window.count += 1;
    return window.count > this.perMinute ? Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)) : undefined;
  }

  #sweep(now: number): void {
    for (const [client, window] of this.#windows) if (now - window.start >= WINDOW_MS) this.#windows.delete(client);
    if (this.#windows.size >= CLIENT_LIMIT) this.#windows.clear();
  }
}
