/**
 * Alert notifications: what is sent when an alert fires or resolves, the notifier seam (one small
 * interface, so Slack, email or a queue can sit behind it), and the webhook notifier: a JSON POST
 * with Node's fetch, retried with exponential backoff and jitter on network errors, timeouts,
 * 408, 429 and 5xx answers; other 4xx answers are the receiver refusing, and are not retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type AlertRuleRecord } from './alert-rule-store.js';

/** The JSON body of a notification. */
export interface AlertNotification {
  readonly type: 'berth.alert';
  readonly state: 'firing' | 'resolved';
  readonly rule: {
    readonly id: string;
    readonly name: string;
    readonly type: AlertRuleRecord['type'];
    readonly feature?: string;
    readonly metric?: string;
  };
  readonly model: string;
  readonly version: string | null;
  /** The value measured at this evaluation. */
  readonly value: number;
  readonly threshold: number;
  /** When the alert entered this state, ISO 8601. */
  readonly since: string;
  /** One line for people. */
  readonly message: string;
}

/** Something that delivers notifications. */
export interface AlertNotifier {
  /** Delivers a notification about `rule`'s alert; resolves when delivered or given up (never rejects). */
  notify(notification: AlertNotification, rule: AlertRuleRecord): Promise<void>;
  /** Waits up to `graceMs` for deliveries in progress, then abandons them. */
  close(graceMs: number): Promise<void>;
}

/** Options of {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** Webhooks every notification goes to; rules may add their own. */
  readonly urls: readonly string[];
  /** Attempts per webhook (default 5). */
  readonly attempts?: number;
  /** First retry delay, doubled each time (default 500 ms), up to maxDelayMs (default 30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest one attempt may take (default 10 s). */
  readonly timeoutMs?: number;
  /** Told about a notification given up; default silence. */
  readonly onGiveUp?: (url: string, reason: string) => void;
}

/** Delivers notifications as JSON POSTs to webhooks. */
export class WebhookNotifier implements AlertNotifier {
  readonly #options: WebhookNotifierOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();

  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
  }

  notify(notification: AlertNotification, rule: AlertRuleRecord): Promise<void> {
    const urls = [...new Set([...this.#options.urls, ...(rule.webhooks ?? [])])];
    const body = JSON.stringify(notification);
    const all = Promise.all(urls.map((url) => this.#track(this.#deliver(url, body)))).then(() => undefined);
    return all;
  }

  async close(graceMs: number): Promise<void> {
    const pending = Promise.allSettled([...this.#inFlight]);
    const timer = sleep(graceMs, undefined, { ref: false });
    await Promise.race([pending, timer]);
    this.#closing.abort();
    await pending;
  }

  #track(delivery: Promise<void>): Promise<void> {
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery));
    return delivery;
  }

  async #deliver(url: string, body: string): Promise<void> {
    const attempts = this.#options.attempts ?? 5;
    const base = this.#options.baseDelayMs ?? 500;
    const max = this.#options.maxDelayMs ?? 30_000;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#closing.signal.aborted) break;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'berth-monitor' },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(this.#options.timeoutMs ?? 10_000), this.#closing.signal]),
        });
        // The body is not needed; reading it frees the connection.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        reason = `HTTP ${response.status}`;
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
      if (attempt < attempts) {
        const delay = Math.min(max, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
        try {
          await sleep(delay, undefined, { signal: this.#closing.signal, ref: false });
        } catch {
          break;
        }
      }
    }
    this.#options.onGiveUp?.(url, reason || 'shutting down');
  }
}
