/**
 * Alert rules from two places: the config file (read-only at run time, ids `config-<n>` unless
 * given) and the API (stored in the metadata database, so every replica sees them).
 */
import { randomBytes } from 'node:crypto';
import { type AlertRule, AlertRuleSchema } from '../core/alert-rule.js';
import type { Config } from '../core/config.js';
import { Errors } from '../core/errors.js';
import type { AlertStore } from '../store/index.js';
import type { WebhookGuard } from './webhook-guard.js';
import { iso } from './window-store.js';

/** A rule with its id and where it came from. */
export type AlertRuleRecord = AlertRule & {
  readonly id: string;
  readonly source: 'config' | 'api';
  /** When it was added through the API. */
  readonly created?: string;
};

/** The rules of the config file and of the database. */
export class AlertRuleStore {
  readonly #store: AlertStore;
  readonly #config: readonly AlertRuleRecord[];
  readonly #webhooks: WebhookGuard | undefined;

  /**
   * `webhooks` checks the webhooks of rules added through the API, so one that could never be
   * delivered is refused at once. Throws BERTH_CONFIG_INVALID when two config rules share an id.
   */
  constructor(store: AlertStore, configRules: Config['monitor']['rules'], webhooks?: WebhookGuard) {
    this.#store = store;
    this.#webhooks = webhooks;
    this.#config = configRules.map(({ webhooks, ...rule }, i) => ({ ...rule, ...(webhooks ? { webhooks: [...webhooks] } : {}), id: rule.id ?? `config-${i + 1}`, source: 'config' as const }));
    const ids = new Set<string>();
    for (const rule of this.#config) {
      if (ids.has(rule.id)) throw Errors.CONFIG_INVALID.create(`monitor.rules: rule id '${rule.id}' appears twice`);
      ids.add(rule.id);
    }
  }

  /** Every rule: the config file's, then the API's in the order they were added. */
  async list(): Promise<AlertRuleRecord[]> {
    const rows = await this.#store.listRules();
    const stored = rows.map((row) => ({ ...(JSON.parse(row.rule) as AlertRule), id: row.id, source: 'api' as const, created: row.createdAt }));
    return [...this.#config, ...stored.filter((r) => !this.#config.some((c) => c.id === r.id))];
  }

  /**
   * Validates and stores a rule from the API. Throws BERTH_MONITOR_RULE_INVALID naming every
   * problem, or BERTH_MONITOR_RULE_CONFLICT when its id is taken.
   */
  async add(input: unknown, now: number): Promise<AlertRuleRecord> {
    const parsed = AlertRuleSchema.safeParse(input);
    if (!parsed.success) {
      throw Errors.MONITOR_RULE_INVALID.create(parsed.error.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`).join('; '));
    }
    for (const url of parsed.data.webhooks ?? []) {
      const problem = await this.#webhooks?.urlProblem(new URL(url));
      if (problem !== undefined) throw Errors.MONITOR_RULE_INVALID.create(`webhooks: ${problem}`);
    }
    const id = parsed.data.id ?? `rule-${randomBytes(4).toString('hex')}`;
    const rule: AlertRule = { ...parsed.data, id };
    if (this.#config.some((r) => r.id === id)) throw Errors.MONITOR_RULE_CONFLICT.create(id, 'already exists in the config file; choose another id');
    const created = iso(now);
    if (!(await this.#store.addRule({ id, rule: JSON.stringify(rule), createdAt: created }))) throw Errors.MONITOR_RULE_CONFLICT.create(id, 'already exists; choose another id or delete it first');
    return { ...rule, id, source: 'api', created };
  }

  /**
   * Deletes a rule added through the API, and its alerts. Throws BERTH_MONITOR_RULE_NOT_FOUND, or
   * BERTH_MONITOR_RULE_CONFLICT for a rule of the config file.
   */
  async remove(id: string): Promise<AlertRuleRecord> {
    if (this.#config.some((r) => r.id === id)) throw Errors.MONITOR_RULE_CONFLICT.create(id, 'comes from the config file (monitor.rules); remove it there and restart');
    const rule = (await this.list()).find((r) => r.id === id);
    if (rule === undefined) throw Errors.MONITOR_RULE_NOT_FOUND.create(id);
    await this.#store.removeRule(id);
    return rule;
  }
}
