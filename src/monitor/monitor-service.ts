/**
 * The monitor of one server replica: records every prediction into per-version windows of
 * sketches (the hot path, synchronous and O(features) per row), writes closed windows, the
 * prediction log and samples to the metadata database in batches, answers reports over all
 * replicas' windows plus its own in memory, joins feedback, and evaluates alert rules.
 *
 * Lifecycle: timers start with the service (unref'd: they never keep the process alive);
 * `close()` stops them and flushes everything, the open windows included, so no prediction is lost
 * from the counts on a graceful shutdown.
 *
 * @example
 *   const monitor = new MonitorService({ db: store.db, config: config.monitor, schemaFor });
 *   afterResponse.run(() => monitor.record(event));  // from the data plane, after responding
 *   const report = await monitor.reports.drift('loans', { from: '1h' });
 *   await monitor.close();
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import { type MonitorConfig, MonitorConfigSchema } from '../core/monitor-config.js';
import { type StoreTables } from '../store/store-tables.js';
import { type AlertEvaluator as AlertEvaluatorType, AlertEvaluator, type AlertRecord, type AlertTransition } from './alert-evaluator.js';
import { type AlertNotifier, WebhookNotifier } from './alert-notifier.js';
import { type AlertRuleRecord, AlertRuleStore } from './alert-rule-store.js';
import { ColumnCatalog } from './column-catalog.js';
import { type FeedbackResult, parseFeedback, recordFeedback, rematchFeedback } from './feedback-store.js';
import { type MonitorSchema } from './feature-spec.js';
import { acquireLease, releaseLease } from './lease.js';
import { LiveWindow } from './live-window.js';
import { type LiveWindowSnapshot, MonitorReports } from './monitor-reports.js';
import { PredictionLog } from './prediction-log.js';
import { type PredictionEvent } from './prediction-event.js';
import { ReadWriteLock } from './read-write-lock.js';
import { type ReferenceSource, storeReferenceSource } from './reference-source.js';
import { deleteWindowsBefore, iso, type WindowToStore, writeWindows } from './window-store.js';

/** Where the monitor reports trouble (a pino logger fits). */
export interface MonitorLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Options of {@link MonitorService}. */
export interface MonitorServiceOptions {
  /** The metadata database (MetadataStore.db). */
  readonly db: Kysely<StoreTables>;
  /**
   * Where the prediction log and samples are written (MetadataStore.writer(): off the event loop
   * on SQLite, since under load they are thousands of rows a second); default `db`.
   */
  readonly logDb?: Kysely<StoreTables>;
  /** The `monitor` section of the configuration (validated here; raw input is accepted too). */
  readonly config?: unknown;
  /** Reference profiles, training metrics and pipelines; default read from the registry's tables. */
  readonly references?: ReferenceSource;
  /**
   * The columns a version declares (see monitorSchemaFromManifest), asked once per version when it
   * is first recorded; undefined: columns are learned as they come.
   */
  readonly schemaFor?: (model: string, version: string) => MonitorSchema | undefined;
  /** Where alerts are sent; default webhooks (`monitor.webhooks` and each rule's). */
  readonly notifier?: AlertNotifier;
  readonly logger?: MonitorLogger;
  /** The clock, epoch ms (tests move it). */
  readonly now?: () => number;
  /** Random numbers for sampling (tests pass a seeded one). */
  readonly random?: () => number;
  /** Start the flush and alert timers (default true; tests drive `flush` and `evaluateAlerts`). */
  readonly timers?: boolean;
}

/** How late a request may arrive for its window before the window is written (ms). */
const WINDOW_GRACE_MS = 1000;
/** How often old windows, logs and samples are deleted (ms). */
const PRUNE_INTERVAL_MS = 3_600_000;
/** How often feedback that came before its prediction was logged is joined again (ms), and for how long. */
const REMATCH_INTERVAL_MS = 30_000;
const REMATCH_FOR_MS = 86_400_000;
/** How long close() waits for webhook deliveries in progress (ms). */
const NOTIFY_GRACE_MS = 5000;
const DAY_MS = 86_400_000;
const ALERT_LEASE = 'monitor-alerts';

interface WindowEntry {
  readonly model: string;
  readonly version: string;
  readonly window: LiveWindow;
}

/** The monitor of a server replica. */
export class MonitorService {
  /** Reports over every replica's stored windows and this replica's windows in memory. */
  readonly reports: MonitorReports;
  /** This replica's name in stored windows. */
  readonly replica: string;
  readonly settings: MonitorConfig;

  readonly #db: Kysely<StoreTables>;
  readonly #logDb: Kysely<StoreTables>;
  readonly #now: () => number;
  readonly #logger: MonitorLogger | undefined;
  readonly #schemaFor: MonitorServiceOptions['schemaFor'];
  readonly #windows = new Map<string, WindowEntry>();
  readonly #catalogs = new Map<string, ColumnCatalog>();
  /** Windows taken out of memory whose write failed; retried on the next flush, still reported. */
  #unflushed: WindowToStore[] = [];
  #last: WindowEntry | undefined;
  readonly #log: PredictionLog;
  readonly #lock = new ReadWriteLock();
  readonly #rules: AlertRuleStore;
  readonly #evaluator: AlertEvaluatorType;
  readonly #notifier: AlertNotifier;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Background work in progress, which close() waits for. */
  readonly #running = new Set<Promise<void>>();
  #flushing: Promise<void> | undefined;
  #evaluating: Promise<AlertTransition[]> | undefined;
  #logFlush: Promise<void> = Promise.resolve();
  #logFlushScheduled = false;
  #lastPrune = 0;
  #lastRematch = 0;
  #recordFailures = 0;
  #closed: Promise<void> | undefined;

  /** Throws BERTH_CONFIG_INVALID when the settings are invalid. */
  constructor(options: MonitorServiceOptions) {
    const parsed = MonitorConfigSchema.safeParse(options.config ?? {});
    if (!parsed.success) {
      throw Errors.CONFIG_INVALID.create(parsed.error.issues.map((i) => `monitor.${i.path.join('.')}: ${i.message}`).join('; '));
    }
    this.settings = parsed.data;
    this.#db = options.db;
    this.#logDb = options.logDb ?? options.db;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#schemaFor = options.schemaFor;
    this.replica = this.settings.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.#log = new PredictionLog({
      predictions: this.settings.predictionLog,
      sampleRate: this.settings.sampleRate,
      sampleMaxPerMinute: this.settings.sampleMaxPerMinute,
      sampleMaxBytes: this.settings.sampleMaxBytes,
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    const { method, correction, datasetDriftShare } = this.settings.drift;
    this.reports = new MonitorReports({
      db: this.#db,
      references: options.references ?? storeReferenceSource(this.#db),
      windowMs: this.settings.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
      live: { snapshot: (model, from, to) => this.#snapshot(model, from, to) },
      now: this.#now,
      consistentRead: (read) => this.#lock.read(read),
    });
    this.#rules = new AlertRuleStore(this.#db, this.settings.rules);
    this.#notifier =
      options.notifier ??
      new WebhookNotifier({
        urls: this.settings.webhooks,
        attempts: this.settings.webhookAttempts,
        onGiveUp: (url, reason) => this.#logger?.warn({ url: redactUrl(url), reason }, 'alert webhook given up'),
      });
    this.#evaluator = new AlertEvaluator({
      db: this.#db,
      reports: this.reports,
      rules: this.#rules,
      notifier: this.#notifier,
      now: this.#now,
      liveModels: () => this.#liveModels(),
      onError: (error, rule, model) => this.#logger?.warn({ err: error, rule: rule.id, model }, 'alert rule could not be evaluated'),
    });
    if (options.timers !== false && this.settings.enabled) {
      this.#every(this.settings.flushIntervalMs, () => this.#tick());
      this.#every(this.settings.alertIntervalMs, () => this.evaluateAlerts().then(() => undefined));
    }
  }

  /**
   * Records one prediction request. Synchronous and cheap (O(features + outputs) per row); never
   * throws. Call it off the request path, after the response is sent (the data plane's AfterResponseQueue).
   */
  record(event: PredictionEvent): void {
    if (this.#closed !== undefined || !this.settings.enabled) return;
    try {
      // A request must count even with a broken clock reading: it is counted now.
      if (!Number.isFinite(event.at)) event = { ...event, at: this.#now() };
      const windowMs = this.settings.windowMs;
      const start = event.at - (event.at % windowMs);
      let entry = this.#last;
      if (entry === undefined || entry.window.start !== start || entry.model !== event.model || entry.version !== event.version) {
        entry = this.#entryFor(event.model, event.version, start);
        this.#last = entry;
      }
      entry.window.record(event);
      this.#log.add(event);
      if (this.#log.full && !this.#logFlushScheduled) {
        this.#logFlushScheduled = true;
        setImmediate(() => {
          this.#logFlushScheduled = false;
          this.#flushLog({ full: true }).catch((error: unknown) => this.#logger?.error({ err: error }, 'monitor could not write the prediction log; retrying'));
        });
      }
    } catch (error) {
      // A malformed event must not reach the data plane; report the first few.
      if (++this.#recordFailures <= 10) this.#logger?.error({ err: error, model: event?.model }, 'monitor could not record a prediction');
    }
  }

  /**
   * Writes closed windows (every window with `all`), the prediction log and samples. Concurrent
   * calls share one flush. Throws when the database refuses; nothing is lost (it is retried).
   */
  async flush(options: { readonly all?: boolean } = {}): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
    const flushing = this.#flushWindows(options.all === true).finally(() => {
      this.#flushing = undefined;
    });
    this.#flushing = flushing;
    await flushing;
    await this.#flushLog();
  }

  /** Joins feedback (one item or a list; see parseFeedback) to the prediction log. */
  async feedback(model: string, body: unknown): Promise<FeedbackResult> {
    const items = parseFeedback(body);
    // What this replica has not written yet must be findable.
    await this.#flushLog();
    return recordFeedback(this.#db, model, items, this.#now());
  }

  /** Every alert rule (config file and API). */
  listRules(): Promise<AlertRuleRecord[]> {
    return this.#rules.list();
  }

  /** Adds a rule through the API; see AlertRuleStore.add. */
  addRule(input: unknown): Promise<AlertRuleRecord> {
    return this.#rules.add(input, this.#now());
  }

  /** Deletes a rule added through the API; see AlertRuleStore.remove. */
  removeRule(id: string): Promise<AlertRuleRecord> {
    return this.#rules.remove(id);
  }

  /** Alerts (firing first); only those in `state` when given. */
  listAlerts(state?: 'firing' | 'resolved'): Promise<AlertRecord[]> {
    return this.#evaluator.list(state);
  }

  /**
   * Evaluates the alert rules now, when this replica holds the alert lease (one replica evaluates
   * at a time, so each transition is notified once); returns the transitions.
   */
  async evaluateAlerts(): Promise<AlertTransition[]> {
    if (this.#evaluating !== undefined) return this.#evaluating;
    const run = async (): Promise<AlertTransition[]> => {
      const leader = await acquireLease(this.#db, ALERT_LEASE, this.replica, this.settings.alertIntervalMs * 3, this.#now());
      return leader ? this.#evaluator.evaluate() : [];
    };
    this.#evaluating = run().finally(() => {
      this.#evaluating = undefined;
    });
    return this.#evaluating;
  }

  /** Entries dropped from the prediction log or samples under overload, and events that failed to record. */
  get dropped(): { readonly logEntries: number; readonly events: number } {
    return { logEntries: this.#log.dropped, events: this.#recordFailures };
  }

  /**
   * Stops the timers and writes everything, the open windows included; waits up to 5 s for alert
   * webhooks in progress. Records after close are ignored. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      await Promise.allSettled([...this.#running]);
      await this.#evaluating?.catch(() => undefined);
      try {
        await this.flush({ all: true });
      } catch (error) {
        this.#logger?.error({ err: error }, 'monitor could not write its last windows');
      }
      await releaseLease(this.#db, ALERT_LEASE, this.replica).catch(() => undefined);
      await this.#notifier.close(NOTIFY_GRACE_MS);
    })();
    return this.#closed;
  }

  #entryFor(model: string, version: string, start: number): WindowEntry {
    const key = `${model}\u0000${version}\u0000${start}`;
    let entry = this.#windows.get(key);
    if (entry === undefined) {
      const catalogKey = `${model}\u0000${version}`;
      let catalog = this.#catalogs.get(catalogKey);
      if (catalog === undefined) {
        catalog = new ColumnCatalog(this.#declaredColumns(model, version), this.settings.maxColumns);
        this.#catalogs.set(catalogKey, catalog);
      }
      entry = { model, version, window: new LiveWindow(start, catalog, { k: this.settings.sketchK, maxCategories: this.settings.maxCategories }) };
      this.#windows.set(key, entry);
    }
    return entry;
  }

  /** The columns a version declares; a failing lookup only means they are learnt as they come. */
  #declaredColumns(model: string, version: string): MonitorSchema | undefined {
    try {
      return this.#schemaFor?.(model, version);
    } catch (error) {
      this.#logger?.warn({ err: error, model, version }, 'monitor could not read the columns of a version; learning them from traffic');
      return undefined;
    }
  }

  async #flushWindows(all: boolean): Promise<void> {
    await this.#lock.write(async () => {
      const closedBefore = this.#now() - WINDOW_GRACE_MS;
      const windowMs = this.settings.windowMs;
      const taken: WindowToStore[] = [];
      for (const [key, entry] of this.#windows) {
        if (!all && entry.window.start + windowMs > closedBefore) continue;
        this.#windows.delete(key);
        if (this.#last === entry) this.#last = undefined;
        if (!entry.window.empty) taken.push({ model: entry.model, version: entry.version, start: entry.window.start, windowMs, data: entry.window.toData() });
      }
      const toWrite = [...this.#unflushed, ...taken];
      this.#unflushed = [];
      try {
        await writeWindows(this.#db, this.replica, toWrite, this.#now());
      } catch (error) {
        this.#unflushed = toWrite;
        throw error;
      }
    });
  }

  /** Writes the prediction log and samples (see PredictionLog.flush); one write at a time. */
  #flushLog(options: { readonly full?: boolean } = {}): Promise<void> {
    const run = this.#logFlush.catch(() => undefined).then(() => this.#log.flush(this.#logDb, options));
    this.#logFlush = run;
    return run;
  }

  #snapshot(model: string, from: number, to: number): LiveWindowSnapshot[] {
    const out: LiveWindowSnapshot[] = [];
    for (const entry of this.#windows.values()) {
      if (entry.model === model && entry.window.start >= from && entry.window.start < to && !entry.window.empty) {
        out.push({ version: entry.version, start: entry.window.start, data: entry.window.toData() });
      }
    }
    for (const w of this.#unflushed) if (w.model === model && w.start >= from && w.start < to) out.push({ version: w.version, start: w.start, data: w.data });
    return out;
  }

  #liveModels(): Set<string> {
    return new Set([...[...this.#windows.values()].map((e) => e.model), ...this.#unflushed.map((w) => w.model)]);
  }

  /** The flush timer's work: windows and logs, and now and then rematching and pruning. */
  async #tick(): Promise<void> {
    await this.flush();
    const now = this.#now();
    if (now - this.#lastRematch >= REMATCH_INTERVAL_MS) {
      this.#lastRematch = now;
      await rematchFeedback(this.#db, now - REMATCH_FOR_MS);
    }
    if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await this.prune();
    }
  }

  /** Deletes windows, logs, samples, feedback and resolved alerts past their retention. */
  async prune(): Promise<void> {
    const now = this.#now();
    const s = this.settings;
    await deleteWindowsBefore(this.#db, now - s.windowRetentionDays * DAY_MS);
    await this.#db.deleteFrom('monitor_predictions').where('at', '<', iso(now - s.logRetentionDays * DAY_MS)).execute();
    await this.#db.deleteFrom('monitor_prediction_pages').where('last_at', '<', iso(now - s.logRetentionDays * DAY_MS)).execute();
    await this.#db.deleteFrom('monitor_samples').where('at', '<', iso(now - s.sampleRetentionDays * DAY_MS)).execute();
    await this.#db.deleteFrom('monitor_feedback').where('received_at', '<', iso(now - s.windowRetentionDays * DAY_MS)).execute();
    await this.#db.deleteFrom('monitor_alerts').where('state', '=', 'resolved').where('updated_at', '<', iso(now - s.windowRetentionDays * DAY_MS)).execute();
  }

  /** Runs `work` every `ms`, never two at once, logging failures; the timer never holds the process open. */
  #every(ms: number, work: () => Promise<void>): void {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (running !== undefined || this.#closed !== undefined) return;
      const run = work()
        .catch((error: unknown) => this.#logger?.error({ err: error }, 'monitor background work failed; retrying at the next interval'))
        .finally(() => {
          running = undefined;
          this.#running.delete(run);
        });
      running = run;
      this.#running.add(run);
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}

/** A URL without its password or query string (which may carry a token), for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
