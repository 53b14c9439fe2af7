/**
 * Every migration of the metadata database, in order. Add a migration by adding an entry with
 * the next number (`0002-monitor-windows`, …) and a module under ./migrations; never change or
 * remove one that has shipped, as databases record which names they have run.
 */
import { registryTables } from './migrations/0001-registry.js';
import { monitorTables } from './migrations/0002-monitor.js';
import { predictionPages } from './migrations/0003-prediction-pages.js';
import { trainingJobTables } from './migrations/0004-training-jobs.js';
import { deploymentTables } from './migrations/0005-deployments.js';
import { rolloutTables } from './migrations/0006-rollouts.js';
import { apiKeyTables } from './migrations/0006-api-keys.js';
import { windowRoles } from './migrations/0007-window-roles.js';
import { logSegments } from './migrations/0007-log-segments.js';
import { retrainingTables } from './migrations/0008-retraining.js';
import type { StoreMigration } from './store-migration.js';

/** The migrations, keyed by name; they run in the names' alphabetical order. */
export const STORE_MIGRATIONS: Readonly<Record<string, StoreMigration>> = {
  '0001-registry': registryTables,
  '0002-monitor': monitorTables,
  '0003-prediction-pages': predictionPages,
  '0004-training-jobs': trainingJobTables,
  '0005-deployments': deploymentTables,
  '0006-rollouts': rolloutTables,
  '0006-api-keys': apiKeyTables,
  '0007-window-roles': windowRoles,
  '0007-log-segments': logSegments,
  '0008-retraining': retrainingTables,
};
