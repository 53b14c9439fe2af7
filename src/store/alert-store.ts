/**
 * Alert rules added through the API and the state of each rule's alert per model, in the metadata
 * database. Portable Kysely, the same on SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** A stored rule: its id, the validated rule as JSON text, and when it was added (ISO 8601 UTC). */
export interface StoredAlertRule {
  readonly id: string;
  readonly rule: string;
  readonly createdAt: string;
}

/** The state of one rule's alert for one model. */
export interface AlertStateRecord {
  readonly ruleId: string;
  readonly model: string;
  readonly state: 'firing' | 'resolved';
  /** When it entered its state, ISO 8601 UTC. */
  readonly since: string;
  readonly version: string | null;
  readonly value: number | null;
  readonly threshold: number | null;
  /** ISO 8601 UTC. */
  readonly updatedAt: string;
  /** JSON text: the rule's name and type. */
  readonly details: string;
}

/** What an evaluation measured, written onto an alert. */
export type AlertMeasurement = Pick<AlertStateRecord, 'version' | 'value' | 'threshold' | 'updatedAt'>;

/** Alert rules and alert states. */
export interface AlertStore {
  /** Stored rules in the order they were added. */
  listRules(): Promise<StoredAlertRule[]>;
  /** Stores a rule; false when its id is taken. */
  addRule(rule: StoredAlertRule): Promise<boolean>;
  /** Deletes a rule and its alerts, in one transaction. */
  removeRule(id: string): Promise<void>;
  /** Alerts, only those in `state` when given (in no particular order). */
  listAlerts(state?: string): Promise<AlertStateRecord[]>;
  /** Deletes the alerts of a rule. */
  deleteAlertsOf(ruleId: string): Promise<void>;
  /** Stores an alert as it is now (firing, typically), replacing its previous state. */
  putAlert(alert: AlertStateRecord): Promise<void>;
  /** Updates a stored alert's measurement, and its state (with `since`) when given. */
  updateAlert(ruleId: string, model: string, measurement: AlertMeasurement, state?: { readonly state: 'firing' | 'resolved'; readonly since: string }): Promise<void>;
  /** Deletes alerts resolved and not updated since `before` (epoch ms). */
  deleteResolvedBefore(before: number): Promise<void>;
}

/** The alert store over a Kysely database of either dialect. */
export class KyselyAlertStore implements AlertStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  async listRules(): Promise<StoredAlertRule[]> {
    const rows = await this.#db.selectFrom('monitor_alert_rules').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, rule: row.rule, createdAt: row.created_at }));
  }

  async addRule(rule: StoredAlertRule): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('monitor_alert_rules')
      .values({ id: rule.id, rule: rule.rule, created_at: rule.createdAt })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeRule(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('monitor_alert_rules').where('id', '=', id).execute();
      await trx.deleteFrom('monitor_alerts').where('rule_id', '=', id).execute();
    });
  }

  async listAlerts(state?: string): Promise<AlertStateRecord[]> {
    let select = this.#db.selectFrom('monitor_alerts').selectAll();
    if (state !== undefined) select = select.where('state', '=', state);
    const rows = await select.execute();
    return rows.map((row) => ({
      ruleId: row.rule_id,
      model: row.model,
      state: row.state === 'firing' ? 'firing' : 'resolved',
      since: row.since,
      version: row.version,
      value: row.value === null ? null : Number(row.value),
      threshold: row.threshold === null ? null : Number(row.threshold),
      updatedAt: row.updated_at,
      details: row.details,
    }));
  }

  async deleteAlertsOf(ruleId: string): Promise<void> {
    await this.#db.deleteFrom('monitor_alerts').where('rule_id', '=', ruleId).execute();
  }

  async putAlert(alert: AlertStateRecord): Promise<void> {
    const values = { state: alert.state, since: alert.since, details: alert.details, version: alert.version, value: alert.value, threshold: alert.threshold, updated_at: alert.updatedAt };
    await this.#db
      .insertInto('monitor_alerts')
      .values({ rule_id: alert.ruleId, model: alert.model, ...values })
      .onConflict((oc) => oc.columns(['rule_id', 'model']).doUpdateSet(values))
      .execute();
  }

  async updateAlert(ruleId: string, model: string, measurement: AlertMeasurement, state?: { readonly state: 'firing' | 'resolved'; readonly since: string }): Promise<void> {
    const values = { version: measurement.version, value: measurement.value, threshold: measurement.threshold, updated_at: measurement.updatedAt, ...(state ?? {}) };
    await this.#db.updateTable('monitor_alerts').set(values).where('rule_id', '=', ruleId).where('model', '=', model).execute();
  }

  async deleteResolvedBefore(before: number): Promise<void> {
    await this.#db.deleteFrom('monitor_alerts').where('state', '=', 'resolved').where('updated_at', '<', isoTime(before)).execute();
  }
}
