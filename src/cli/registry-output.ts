/**
 * How registry commands show their results to people: plain aligned tables and short lines.
 * Scripts use --json instead, which prints the command's return value as it is.
 */
import Table from 'cli-table3';
import type { DatetimePart } from '../core/datetime-value.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { Signature, TensorSpec } from '../core/signature.js';
import type { AliasChange, AliasRecord, AuditEntry, DeleteResult, ModelRecord, RegisterResult, VersionDetail, VersionRecord } from '../registry/index.js';

/** A table without borders, columns two spaces apart, like `kubectl get`. */
export function plainTable(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const table = new Table({
    head: head.map((h) => h.toUpperCase()),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [] },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `sha256:0123456789ab`: enough of a digest to tell versions apart at a glance. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/** Bytes as `12.3 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function formatAliases(aliases: Readonly<Record<string, number>>): string {
  return Object.entries(aliases)
    .map(([alias, version]) => `${alias}→${version}`)
    .join(', ');
}

/** The `berth models` table. */
export function renderModels(models: readonly ModelRecord[]): string {
  if (models.length === 0) return 'No models registered yet. Add one with: berth register model.onnx --name NAME';
  return plainTable(
    ['model', 'versions', 'latest', 'aliases', 'created'],
    models.map((m) => [m.name, m.versions, m.latestVersion ?? '-', formatAliases(m.aliases) || '-', m.created]),
  );
}

/** The `berth versions <model>` table. */
export function renderVersions(model: string, versions: readonly VersionRecord[]): string {
  if (versions.length === 0) return `Model '${model}' has no versions.`;
  return plainTable(
    ['version', 'aliases', 'digest', 'size', 'created', 'tags'],
    versions.map((v) => [v.version, v.aliases.join(', ') || '-', shortDigest(v.digest), formatBytes(v.size), v.created, formatTags(v.tags) || '-']),
  );
}

/** The aliases of a model as a table. */
export function renderAliases(aliases: readonly AliasRecord[]): string {
  return plainTable(
    ['alias', 'version', 'digest', 'updated'],
    aliases.map((a) => [a.alias, a.version, shortDigest(a.digest), a.updated]),
  );
}

function shape(spec: TensorSpec): string {
  return spec.shape === undefined ? '(any)' : `[${spec.shape.join(', ')}]`;
}

/** A signature as a table of tensors. */
export function renderSignature(signature: Signature): string {
  return plainTable(
    ['', 'name', 'datatype', 'shape'],
    [...signature.inputs.map((t) => ['input', t.name, t.datatype, shape(t)]), ...signature.outputs.map((t) => ['output', t.name, t.datatype, shape(t)])],
  );
}

/** `berth show model:version`. */
export function renderVersionDetail(v: VersionDetail): string {
  const m = v.manifest;
  const lines = [
    `${v.model}:${v.version}${v.aliases.length ? `  (${v.aliases.map((a) => `@${a}`).join(' ')})` : ''}`,
    `  digest       ${v.digest}`,
    `  size         ${formatBytes(v.size)}`,
    `  registered   ${v.created}`,
    `  source       ${v.source}`,
    `  packaged     ${m.created} as '${m.name}'`,
  ];
  if (m.description) lines.push(`  description  ${m.description}`);
  if (Object.keys(v.tags).length) lines.push(`  tags         ${formatTags(v.tags)}`);
  if (m.model.producer) lines.push(`  producer     ${m.model.producer}${m.model.producerVersion ? ` ${m.model.producerVersion}` : ''}`);
  if (m.metrics && Object.keys(m.metrics).length) lines.push(`  metrics      ${Object.entries(m.metrics).map(([k, n]) => `${k}=${formatMetric(n)}`).join(', ')}`);
  const trained = trainedWith(m.lineage);
  if (trained) lines.push(`  trained      ${trained}`);
  const parent = m.lineage?.parent;
  if (typeof parent === 'number') {
    const trigger = (m.lineage?.trigger as { kind?: unknown } | undefined)?.kind;
    lines.push(`  retrained    from v${parent}${typeof trigger === 'string' ? ` (trigger: ${trigger})` : ''}`);
  }
  if (m.pipeline?.output.task === 'classification') lines.push(`  classes      ${m.pipeline.output.labels.join(', ')} (probability columns in this order)`);
  const extras = (['schema', 'pipeline', 'profile', 'lineage'] as const).filter((k) => m[k] !== undefined);
  if (extras.length) lines.push(`  carries      ${extras.join(', ')}`);
  lines.push(`  files        ${v.files.map((f) => `${f.path} (${formatBytes(f.size)})`).join(', ')}`);
  if (m.schema) lines.push('', indent(renderSchema(m.schema)));
  lines.push('', indent(renderSignature(m.signature)));
  return lines.join('\n');
}

/**
 * The trainer and the hyperparameters it used, from a trained bundle's lineage:
 * `gbdt (learningRate=0.1, …, iterations=87) on 4000 rows, validated on 1000`.
 */
function trainedWith(lineage: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!lineage || typeof lineage.method !== 'string') return undefined;
  const parameters = lineage.parameters !== null && typeof lineage.parameters === 'object' ? Object.entries(lineage.parameters) : [];
  const shown = parameters.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v)}`);
  const settings = [
    ...(typeof lineage.classWeight === 'string' && lineage.classWeight !== 'none' ? [`class weights ${lineage.classWeight}`] : []),
  ];
  const rows =
    typeof lineage.folds === 'number'
      ? `, ${lineage.folds}-fold cross-validation on ${String(lineage.trainRows)} rows`
      : typeof lineage.trainRows === 'number'
        ? ` on ${lineage.trainRows} rows, validated on ${String(lineage.validationRows)}${typeof lineage.validationSource === 'string' ? ` from ${lineage.validationSource}` : ''}`
        : '';
  return `${lineage.method}${shown.length ? ` (${shown.join(', ')})` : ''}${settings.length ? `, ${settings.join(', ')}` : ''}${rows}${lineage.refit === true ? ', refitted on every row' : ''}`;
}

/** A metric as people read it: integers (row counts) whole, other values to four significant digits. */
export function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

const DATETIME_PART_NAMES: Readonly<Record<DatetimePart, string>> = {
  year: 'year',
  month: 'month',
  dayOfWeek: 'day of week',
  hour: 'hour',
  daysSinceEpoch: 'days since 1970',
};

/** A feature schema as a table: what a caller sends, with each feature's allowed values. */
export function renderSchema(schema: FeatureSchema): string {
  const allowed = (f: FeatureSchema['features'][number]): string => {
    switch (f.type) {
      case 'number':
      case 'integer':
        return f.min === undefined && f.max === undefined ? '' : `${f.min ?? '-inf'} to ${f.max ?? 'inf'}${f.outOfRange === 'reject' ? ' (else refused)' : ''}`;
      case 'category': {
        const shown = f.categories.slice(0, 6).join(', ');
        return f.categories.length > 6 ? `${shown}, … (${f.categories.length} in all)` : shown;
      }
      case 'boolean':
        return 'true, false';
      case 'datetime': {
        const range = f.min !== undefined && f.max !== undefined ? `${f.min} to ${f.max}; ` : '';
        return `${range}the model uses ${f.parts.map((p) => DATETIME_PART_NAMES[p]).join(', ')}`;
      }
      default:
        return f.maxLength === undefined ? '' : `up to ${f.maxLength} characters`;
    }
  };
  const table = plainTable(
    ['feature', 'type', 'required', 'values'],
    schema.features.map((f) => [f.name, f.type, f.required ? 'yes' : 'no', allowed(f)]),
  );
  return schema.strict ? `${table}\nstrict: unseen categories and numbers outside the training range are refused` : table;
}

/** `berth show model`. */
export function renderModelDetail(model: ModelRecord, versions: readonly VersionRecord[]): string {
  return [`${model.name}: ${model.versions} version${model.versions === 1 ? '' : 's'}, created ${model.created}`, '', renderVersions(model.name, versions)].join('\n');
}

/** One line for a registration. */
export function renderRegistered(result: RegisterResult): string {
  const v = result.version;
  const head = result.created
    ? `Registered ${v.model} version ${v.version} (${shortDigest(v.digest)}, ${formatBytes(v.size)})`
    : `${v.model} version ${v.version} already holds this bundle (${shortDigest(v.digest)}); nothing new was registered`;
  return result.aliasesSet.length ? `${head}; ${result.aliasesSet.map((a) => `@${a}`).join(' ')} → ${v.version}` : head;
}

/** One line for an alias change. */
export function renderAliasChange(change: AliasChange | (AliasRecord & { readonly removed: true })): string {
  if ('removed' in change) return `Removed alias ${change.model}@${change.alias} (was version ${change.version})`;
  return change.previous === null
    ? `${change.model}@${change.alias} → version ${change.version}`
    : `${change.model}@${change.alias} → version ${change.version} (was ${change.previous})`;
}

/** One line for a deletion. */
export function renderDeleted(result: DeleteResult): string {
  const d = result.deleted;
  const extra = result.aliasesRemoved.length ? `; removed alias ${result.aliasesRemoved.map((a) => `@${a}`).join(' ')}` : '';
  return `Deleted ${d.model} version ${d.version} (${shortDigest(d.digest)})${extra}`;
}

/** The audit log as a table. */
export function renderAudit(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'No changes recorded.';
  return plainTable(
    ['seq', 'at', 'action', 'model', 'version', 'alias', 'via', 'actor'],
    entries.map((e) => [e.seq, e.at, e.action, e.model ?? '-', e.version ?? '-', e.alias ?? '-', e.interface, e.actor ?? '-']),
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
