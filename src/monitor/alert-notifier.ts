/**
 * Alert notifications: what is sent when an alert fires or resolves, the notifier seam (one small
 * interface, so Slack, email or a queue can sit behind it), and the webhook notifier: a JSON POST,
 * retried with exponential backoff and jitter on network errors, timeouts, 408, 429 and 5xx
 * answers; other 4xx answers are the receiver refusing, and are not retried. Redirects are not
 * followed (a redirect would carry the body to an address nobody configured), and addresses in
 * private ranges are refused unless allowed (see webhook-guard.ts).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AlertRuleRecord } from './alert-rule-store.js';
import { WebhookGuard, WebhookRefusedError } from './webhook-guard.js';

/** The JSON body of a notification. */
export interface AlertNotification {
  readonly type: 'berth.alert';
  readonly state: 'firing' | 'resolved';
  readonly rule: {
    readonly id: string;
    readonly name: string;
    /** The rule's type, or `rollout_guard` for a rollout that rolled back or failed. */
    readonly type: AlertRuleRecord['type'] | 'rollout_guard';
    readonly feature?: string;
    readonly metric?: string;
  };
  readonly model: string;
  readonly version: string | null;
  /**
   * The value measured at this evaluation; a rollout's alert carries the breached guard's value
   * and limit, or NaN (null in JSON) when it failed without a guard breached.
   */
  readonly value: number;
  readonly threshold: number;
  /** When the alert entered this state, ISO 8601. */
  readonly since: string;
  /** One line for people. */
  readonly message: string;
  /** For a rollout's alert: which rollout, how it ended and why. */
  readonly rollout?: {
    readonly id: string;
    readonly champion: number;
    readonly challenger: number;
    readonly state: 'rolled_back' | 'failed';
    readonly guard: string | null;
    readonly reason: string;
  };
}

/** Something that delivers notifications. */
export interface AlertNotifier {
  /** Delivers a notification about `rule`'s alert (to the rule's webhooks too); resolves when delivered or given up (never rejects). */
  notify(notification: AlertNotification, rule: Pick<AlertRuleRecord, 'webhooks'>): Promise<void>;
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
  /** Hosts, addresses and CIDR ranges webhooks may reach although they are private (default none). */
  readonly allowPrivate?: readonly string[];
}

/** Delivers notifications as JSON POSTs to webhooks. */
export class WebhookNotifier implements AlertNotifier {
  readonly #options: WebhookNotifierOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  readonly #guard: WebhookGuard;

  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
    this.#guard = new WebhookGuard(options.allowPrivate);
  }

  notify(notification: AlertNotification, rule: Pick<AlertRuleRecord, 'webhooks'>): Promise<void> {
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
        const signal = AbortSignal.any([AbortSignal.timeout(this.#options.timeoutMs ?? 10_000), this.#closing.signal]);
        const status = await this.#post(url, body, signal);
        if (status >= 200 && status < 300) return;
        reason = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
        if (status < 500 && status !== 408 && status !== 429) break;
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
        if (error instanceof WebhookRefusedError) break;
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

  /** POSTs the body and resolves with the status code; the connection goes only where the guard allows. */
  #post(url: string, body: string, signal: AbortSignal): Promise<number> {
    const target = new URL(url);
    const literal = this.#guard.literalProblem(target);
    if (literal !== undefined) return Promise.reject(new WebhookRefusedError(literal));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        target,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'berth-monitor', 'content-length': Buffer.byteLength(body) },
          lookup: this.#guard.lookupFor(target.hostname),
          signal,
        },
        (response) => {
          // The body is not needed; reading it frees the connection.
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', (error) => reject(error.cause instanceof WebhookRefusedError ? error.cause : error));
      request.end(body);
    });
  }
}
