/**
 * The monitor of one server replica, composed of parts with one job each: the replica's windows in
 * memory (WindowRecorder, the hot path), the prediction log and its writing (PredictionLogWriter),
 * reports over every replica's stored windows plus this one's (MonitorReports), feedback
 * (feedback.ts), alerting (MonitorAlerts), retention (pruneMonitorData) and the timers that drive
 * them (IntervalTasks).
 *
 * Lifecycle: timers start with the service (unref'd: they never keep the process alive);
 * `close()` stops them and flushes everything, the open windows included, so no prediction is lost
 * from the counts on a graceful shutdown.
 *
 * @example
 *   const monitor = new MonitorService({ stores: monitorStores(store), config: config.monitor, references, schemaFor });
 *   afterResponse.run(() => monitor.record(event));  // from the data plane, after responding
 *   const report = await monitor.reports.drift('loans', { from: '1h' });
 *   await monitor.close();
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../core/config.js';
import { retryLogLevel } from '../core/errors.js';
import type { MonitorStores } from '../store/index.js';
import { type AlertRecord, type AlertTransition } from './alert-evaluator.js';
import { type AlertNotification, type AlertNotifier, WebhookNotifier } from './alert-notifier.js';
import { WebhookGuard } from './webhook-guard.js';
import { type AlertRuleRecord } from './alert-rule-store.js';
import { payloadSettingsOf } from '../core/monitor-config.js';
import { CloudEventSink, type SinkCounts } from './cloud-event-sink.js';
import { type FeedbackLookup, type FeedbackResult, parseFeedback, recordFeedback, rematchFeedback } from './feedback.js';
import { type MonitorSchema } from './feature-spec.js';
import { IntervalTasks } from './interval-tasks.js';
import { MonitorAlerts } from './monitor-alerts.js';
import { MonitorReports } from './monitor-reports.js';
import { pruneMonitorData } from './monitor-retention.js';
import { type LabelledRowSource } from './labelled-rows.js';
import { SegmentReaders } from './log-segments.js';
import { payloadLabelledRows } from './payload-labelled-rows.js';
import { type PayloadExport, payloadExport, type PayloadExportFormat, type PayloadExportQuery, payloadExportQuery, type PayloadExportRequest } from './payload-export-stream.js';
import { type DroppedEntries, PredictionLog } from './prediction-log.js';
import { PredictionLogWriter } from './prediction-log-writer.js';
import { type PredictionEvent } from './prediction-event.js';
import { type ReferenceSource } from './reference-source.js';
import { WindowRecorder } from './window-recorder.js';

/** Where the monitor reports trouble (a pino logger fits). */
export interface MonitorLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Options of {@link MonitorService}. */
export interface MonitorServiceOptions {
  /** Where windows, the prediction log, feedback, alerts and leases are kept (the store's monitorStores). */
  readonly stores: MonitorStores;
  /** The validated `monitor` section of the configuration. */
  readonly config: Config['monitor'];
  /** Reference profiles, training metrics and pipelines (registryReferenceSource in a server). */
  readonly references: ReferenceSource;
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
  /**
   * Records the requests answered but not recorded yet (the data plane's `recordAnswered`): called
   * before feedback is joined, so feedback sent as soon as its answer arrives finds its prediction.
   */
  readonly beforeFeedback?: () => void;
}

/** How often old windows, logs and samples are deleted (ms). */
const PRUNE_INTERVAL_MS = 3_600_000;
/** How often feedback that came before its prediction was logged is joined again (ms), and for how long. */
const REMATCH_INTERVAL_MS = 30_000;
const REMATCH_FOR_MS = 86_400_000;
/** How long close() waits for webhook deliveries in progress (ms). */
const NOTIFY_GRACE_MS = 5000;

/** The monitor of a server replica. */
export class MonitorService {
  /** Reports over every replica's stored windows and this replica's windows in memory. */
  readonly reports: MonitorReports;
  /** This replica's name in stored windows. */
  readonly replica: string;
  readonly settings: Config['monitor'];
  /** Labelled traffic for retraining: the payload log joined to feedback (see payload-labelled-rows.ts). */
  readonly labelledRows: LabelledRowSource;

  readonly #stores: MonitorStores;
  readonly #now: () => number;
  readonly #logger: MonitorLogger | undefined;
  readonly #windows: WindowRecorder;
  readonly #log: PredictionLogWriter;
  readonly #lookup: FeedbackLookup;
  readonly #sink: CloudEventSink | undefined;
  readonly #beforeFeedback: (() => void) | undefined;
  readonly #alerts: MonitorAlerts;
  readonly #notifier: AlertNotifier;
  readonly #tasks: IntervalTasks;
  #flushing: Promise<void> | undefined;
  #lastPrune = 0;
  #lastRematch = 0;
  #recordFailures = 0;
  #closed: Promise<void> | undefined;

  /** Throws BERTH_CONFIG_INVALID when two alert rules of the config share an id. */
  constructor(options: MonitorServiceOptions) {
    const settings = options.config;
    this.settings = settings;
    this.#stores = options.stores;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#beforeFeedback = options.beforeFeedback;
    this.replica = settings.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.#windows = new WindowRecorder({
      store: options.stores.windows,
      replica: this.replica,
      windowMs: settings.windowMs,
      openFlushMs: settings.openWindowFlushMs,
      maxColumns: settings.maxColumns,
      sketchK: settings.sketchK,
      maxCategories: settings.maxCategories,
      declaredColumns: (model, version) => this.#declaredColumns(options.schemaFor, model, version),
      now: this.#now,
    });
    const sink = settings.payloads.sink;
    this.#sink =
      sink === undefined
        ? undefined
        : new CloudEventSink({
            ...sink,
            source: `berth/${this.replica}`,
            onTrouble: (problem) =>
              problem === undefined
                ? this.#logger?.warn({ url: redactUrl(sink.url) }, 'payload sink is reachable again')
                : this.#logger?.warn({ url: redactUrl(sink.url), problem }, 'payload sink failing: batches are retried, then counted as failed'),
            onUnwritable: (problem) => this.#logger?.error({ url: redactUrl(sink.url), problem }, 'payload sink could not write a batch as JSON: it is not sent, its events are counted as failed'),
          });
    const log = new PredictionLog({
      predictions: settings.predictionLog,
      payloads: (model) => payloadSettingsOf(settings.payloads, model),
      sampleRate: settings.sampleRate,
      sampleMaxPerMinute: settings.sampleMaxPerMinute,
      sampleMaxBytes: settings.sampleMaxBytes,
      segmentSealMs: settings.segmentSealMs,
      segmentMaxEntries: settings.segmentMaxEntries,
      maxPending: settings.logMaxPending,
      now: this.#now,
      ...(options.random !== undefined ? { random: options.random } : {}),
      ...(this.#sink !== undefined ? { onPayload: this.#sink.add.bind(this.#sink) } : {}),
      onError: (error) => this.#logger?.error({ err: error }, 'monitor could not read a large request into the prediction log'),
    });
    this.#log = new PredictionLogWriter(log, options.stores, (error) => this.#logger?.[retryLogLevel(error)]({ err: error }, 'monitor could not write the prediction log; retrying'));
    this.#lookup = {
      pending: (model, ids) => log.findPending(model, ids),
      readers: new SegmentReaders(options.stores, (digest, error) => this.#logger?.warn({ err: error, digest }, 'monitor could not read a log segment; skipping it')),
    };
    this.labelledRows = payloadLabelledRows(options.stores, this.#lookup.readers);
    const { method, correction, datasetDriftShare } = settings.drift;
    this.reports = new MonitorReports({
      stores: options.stores,
      references: options.references,
      windowMs: settings.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
      live: { snapshot: (model, from, to, role) => this.#windows.snapshot(model, from, to, role) },
      now: this.#now,
      consistentRead: (read) => this.#windows.consistentRead(read),
    });
    this.#notifier =
      options.notifier ??
      new WebhookNotifier({
        urls: settings.webhooks,
        attempts: settings.webhookAttempts,
        allowPrivate: settings.webhookAllowPrivate,
        onGiveUp: (url, reason) => this.#logger?.warn({ url: redactUrl(url), reason }, 'alert webhook given up'),
      });
    this.#alerts = new MonitorAlerts({
      stores: options.stores,
      rules: settings.rules,
      reports: this.reports,
      notifier: this.#notifier,
      webhooks: new WebhookGuard(settings.webhookAllowPrivate),
      replica: this.replica,
      intervalMs: settings.alertIntervalMs,
      now: this.#now,
      liveModels: () => this.#windows.models(),
      onError: (error, rule, model) => this.#logger?.warn({ err: error, rule: rule.id, model }, 'alert rule could not be evaluated'),
    });
    this.#tasks = new IntervalTasks((error) => this.#logger?.[retryLogLevel(error)]({ err: error }, 'monitor background work failed; retrying at the next interval'));
    if (options.timers !== false && settings.enabled) {
      this.#tasks.every(settings.flushIntervalMs, () => this.#tick());
      this.#tasks.every(settings.alertIntervalMs, () => this.evaluateAlerts());
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
      this.#windows.record(event);
      this.#log.add(event);
    } catch (error) {
      // A malformed event must not reach the data plane; report the first few.
      if (++this.#recordFailures <= 10) this.#logger?.error({ err: error, model: event?.model }, 'monitor could not record a prediction');
    }
  }

  /**
   * Records one copy a deployment's shadow ran, into the shadow's windows only (role `shadow`):
   * its drift, latency and errors are kept per version like any traffic, but it is not the model's
   * served traffic and goes to no prediction log (nobody was answered from it). Never throws.
   */
  recordShadow(event: PredictionEvent): void {
    if (this.#closed !== undefined || !this.settings.enabled) return;
    try {
      this.#windows.record(Number.isFinite(event.at) ? event : { ...event, at: this.#now() }, 'shadow');
    } catch (error) {
      if (++this.#recordFailures <= 10) this.#logger?.error({ err: error, model: event?.model }, 'monitor could not record a shadow prediction');
    }
  }

  /**
   * Writes closed windows (every window with `all`), every log segment (open ones sealed) and
   * samples. Concurrent calls share one flush. Throws when a store refuses; nothing is lost (it is
   * retried).
   */
  flush(options: { readonly all?: boolean } = {}): Promise<void> {
    return this.#flush(options.all === true, 'all');
  }

  /**
   * Writes a version's windows now and frees them (see WindowRecorder.retire): a server calls it
   * when the version leaves memory, so open windows are held only for loaded versions. Never
   * throws; a failed write is retried by the next flush.
   */
  async retire(model: string, version: string): Promise<void> {
    if (this.#closed !== undefined) return;
    try {
      await this.#windows.retire(model, version);
    } catch (error) {
      this.#logger?.[retryLogLevel(error)]({ err: error, model, version }, 'monitor could not write the windows of an unloaded version; retrying');
    }
  }

  /** Estimated bytes of this replica's windows in memory, by version (key `model\u0000version`). */
  windowBytes(): Map<string, number> {
    return this.#windows.bytesByVersion();
  }

  /** Joins feedback (one item or a list; see parseFeedback) to the prediction log, this replica's unwritten entries included. */
  async feedback(model: string, body: unknown): Promise<FeedbackResult> {
    const items = parseFeedback(body);
    this.#beforeFeedback?.();
    return recordFeedback(this.#stores, model, items, this.#now(), this.#lookup);
  }

  /**
   * The export of a model's payload log as every replica sealed it into segments (this replica's
   * open segment is not in it), read as the stream is; `query` as payloadExportQuery takes it
   * (since, until, labelled, limit), with this monitor's clock. Throws BERTH_MONITOR_RANGE_INVALID
   * or BERTH_REQUEST_INVALID for a bad query.
   */
  async payloadExport(model: string, query: PayloadExportRequest, format: PayloadExportFormat): Promise<PayloadExport & PayloadExportQuery> {
    const parsed = payloadExportQuery(query, this.#now());
    // Readers of its own, so a long export does not push feedback's recent segments out of their cache.
    const readers = new SegmentReaders(this.#stores, (digest, error) => this.#logger?.warn({ err: error, digest }, 'payload export could not read a log segment; skipping it'));
    return { ...parsed, ...(await payloadExport(this.#stores, model, { ...parsed, format }, readers)) };
  }

  /** The payload log settings of a model (`monitor.payloads` with its own overrides). */
  payloadSettings(model: string) {
    return this.#log.log.payloadSettings(model);
  }

  /** Every alert rule (config file and API). */
  listRules(): Promise<AlertRuleRecord[]> {
    return this.#alerts.listRules();
  }

  /** Adds a rule through the API; see AlertRuleStore.add. */
  addRule(input: unknown): Promise<AlertRuleRecord> {
    return this.#alerts.addRule(input);
  }

  /** Deletes a rule added through the API; see AlertRuleStore.remove. */
  removeRule(id: string): Promise<AlertRuleRecord> {
    return this.#alerts.removeRule(id);
  }

  /** Alerts (firing first); only those in `state` when given. */
  listAlerts(state?: 'firing' | 'resolved'): Promise<AlertRecord[]> {
    return this.#alerts.listAlerts(state);
  }

  /**
   * Evaluates the alert rules now, when this replica holds the alert lease (one replica evaluates
   * at a time, so each transition is notified once); returns the transitions.
   */
  evaluateAlerts(): Promise<AlertTransition[]> {
    return this.#alerts.evaluate();
  }

  /**
   * Sends an alert that no rule raised (a rollout rolled back by its guard, say) to the alert
   * webhooks (`monitor.webhooks`); resolves when delivered or given up.
   */
  notify(notification: AlertNotification): Promise<void> {
    return this.#notifier.notify(notification, {});
  }

  /** Entries dropped from the prediction log, the payload log or samples under overload, and events that failed to record. */
  get dropped(): DroppedEntries & { readonly events: number } {
    return { ...this.#log.dropped, events: this.#recordFailures };
  }

  /** What the CloudEvents sink sent, dropped and gave up, when one is configured. */
  get sinkCounts(): SinkCounts | undefined {
    return this.#sink?.counts;
  }

  /** Deletes windows, logs, samples, feedback and resolved alerts past their retention. */
  prune(): Promise<void> {
    return pruneMonitorData(this.#stores, this.settings, this.#now());
  }

  /**
   * Stops the timers and writes everything, the open windows included; waits up to 5 s for alert
   * webhooks in progress. Records after close are ignored. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#tasks.close();
      try {
        await this.flush({ all: true });
      } catch (error) {
        this.#logger?.error({ err: error }, 'monitor could not write its last windows');
      }
      await this.#alerts.close(NOTIFY_GRACE_MS);
      await this.#log.log.close();
      await this.#sink?.close();
    })();
    return this.#closed;
  }

  /** The columns a version declares; a failing lookup only means they are learnt as they come. */
  #declaredColumns(schemaFor: MonitorServiceOptions['schemaFor'], model: string, version: string): MonitorSchema | undefined {
    try {
      return schemaFor?.(model, version);
    } catch (error) {
      this.#logger?.warn({ err: error, model, version }, 'monitor could not read the columns of a version; learning them from traffic');
      return undefined;
    }
  }

  async #flush(allWindows: boolean, seal: 'due' | 'all'): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
    const flushing = this.#windows.flush(allWindows).finally(() => {
      this.#flushing = undefined;
    });
    this.#flushing = flushing;
    await flushing;
    await this.#log.flush({ seal });
  }

  /** The flush timer's work: windows, logs (segments sealed when due), and now and then rematching and pruning. */
  async #tick(): Promise<void> {
    await this.#flush(false, 'due');
    const now = this.#now();
    if (now - this.#lastRematch >= REMATCH_INTERVAL_MS) {
      this.#lastRematch = now;
      await rematchFeedback(this.#stores, now - REMATCH_FOR_MS, undefined, this.#lookup);
    }
    if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await this.prune();
    }
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
