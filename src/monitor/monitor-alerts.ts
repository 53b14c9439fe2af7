/**
 * The monitor's alerting: the rules (config file and API), their evaluation on whichever replica
 * holds the alert lease (so each transition is notified once across replicas), the alerts' states,
 * and the notifier that sends them.
 */
import type { Config } from '../core/config.js';
import type { AlertStore, LeaseStore, MonitorWindowStore } from '../store/index.js';
import { AlertEvaluator, type AlertRecord, type AlertTransition } from './alert-evaluator.js';
import { type AlertNotifier } from './alert-notifier.js';
import { type AlertRuleRecord, AlertRuleStore } from './alert-rule-store.js';
import { type MonitorReports } from './monitor-reports.js';
import type { WebhookGuard } from './webhook-guard.js';

/** Options of {@link MonitorAlerts}. */
export interface MonitorAlertsOptions {
  readonly stores: { readonly alerts: AlertStore; readonly leases: LeaseStore; readonly windows: MonitorWindowStore };
  /** Rules from the config file. */
  readonly rules: Config['monitor']['rules'];
  readonly reports: MonitorReports;
  readonly notifier: AlertNotifier;
  /** Checks the webhooks of rules added through the API (monitor.webhookAllowPrivate). */
  readonly webhooks?: WebhookGuard;
  /** This replica's name, as the lease's holder. */
  readonly replica: string;
  /** How often rules are evaluated (ms); the lease lasts three times as long. */
  readonly intervalMs: number;
  readonly now: () => number;
  /** Models with traffic this replica has not stored yet (for rules on every model). */
  readonly liveModels: () => Iterable<string>;
  /** Told about a rule that could not be evaluated for a model (the others go on). */
  readonly onError?: (error: unknown, rule: AlertRuleRecord, model: string) => void;
}

const ALERT_LEASE = 'monitor-alerts';

/** Alert rules, their evaluation and the alerts. */
export class MonitorAlerts {
  readonly #options: MonitorAlertsOptions;
  readonly #rules: AlertRuleStore;
  readonly #evaluator: AlertEvaluator;
  #evaluating: Promise<AlertTransition[]> | undefined;

  /** Throws BERTH_CONFIG_INVALID when two config rules share an id. */
  constructor(options: MonitorAlertsOptions) {
    this.#options = options;
    this.#rules = new AlertRuleStore(options.stores.alerts, options.rules, options.webhooks);
    this.#evaluator = new AlertEvaluator({
      alerts: options.stores.alerts,
      windows: options.stores.windows,
      reports: options.reports,
      rules: this.#rules,
      notifier: options.notifier,
      now: options.now,
      liveModels: options.liveModels,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  /** Every alert rule (config file and API). */
  listRules(): Promise<AlertRuleRecord[]> {
    return this.#rules.list();
  }

  /** Adds a rule through the API; see AlertRuleStore.add. */
  addRule(input: unknown): Promise<AlertRuleRecord> {
    return this.#rules.add(input, this.#options.now());
  }

  /** Deletes a rule added through the API; see AlertRuleStore.remove. */
  removeRule(id: string): Promise<AlertRuleRecord> {
    return this.#rules.remove(id);
  }

  /** Alerts (firing first); only those in `state` when given. */
  listAlerts(state?: 'firing' | 'resolved'): Promise<AlertRecord[]> {
    return this.#evaluator.list(state);
  }

  /** Evaluates the rules now when this replica holds the alert lease; returns the transitions. Concurrent calls share one evaluation. */
  evaluate(): Promise<AlertTransition[]> {
    if (this.#evaluating !== undefined) return this.#evaluating;
    const { stores, replica, intervalMs, now } = this.#options;
    const run = async (): Promise<AlertTransition[]> => {
      const leader = await stores.leases.acquire(ALERT_LEASE, replica, intervalMs * 3, now());
      return leader ? this.#evaluator.evaluate() : [];
    };
    this.#evaluating = run().finally(() => {
      this.#evaluating = undefined;
    });
    return this.#evaluating;
  }

  /** Waits for an evaluation in progress, gives the lease up and waits up to `graceMs` for notifications in progress. */
  async close(graceMs: number): Promise<void> {
    await this.#evaluating?.catch(() => undefined);
    await this.#options.stores.leases.release(ALERT_LEASE, this.#options.replica).catch(() => undefined);
    await this.#options.notifier.close(graceMs);
  }
}
