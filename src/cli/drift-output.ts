/**
 * How drift reports are shown to people: a plain table for the terminal (`berth monitor`,
 * `berth drift`) and a self-contained HTML page (`berth drift --format html`): inline styles and
 * inline SVG charts, no scripts, nothing fetched, so the file can be mailed or attached to a CI run.
 */
import {
  alignCategories,
  binNumericSketches,
  type DriftReport,
  type FeatureDrift,
  type FeatureProfile,
  type OutlierSummary,
  type Profile,
} from '../monitor/index.js';
import { plainTable } from './registry-output.js';

/** The lines above a report's table. */
export interface DriftHeading {
  /** e.g. "Drift of loans version 1" or "Drift of current.csv against reference.csv". */
  readonly title: string;
  /** e.g. "2025-03-01T09:00:00Z to 10:00:00Z". */
  readonly range?: string;
}

/** The terminal table of a drift report. */
export function renderDriftTable(report: DriftReport, heading: DriftHeading): string {
  const lines = [`${heading.title}${heading.range ? `, ${heading.range}` : ''}: ${report.rows} rows (reference ${report.reference.rows})`, ''];
  if (report.rows === 0) lines.push('No traffic in this range: nothing to compare yet.', '');
  lines.push(featureTable(report.features), '');
  if (report.predictionDrift && report.predictionDrift.features.length > 0) lines.push(featureTable(report.predictionDrift.features, 'prediction'), '');
  const assessed = report.features.filter((f) => f.status === 'ok');
  const drifted = assessed.filter((f) => f.drifted);
  lines.push(
    `Dataset drift: ${report.datasetDrift ? 'YES' : 'no'} (${drifted.length} of ${assessed.length} features drifted, ${percent(report.driftedShare)}; threshold ${percent(report.settings.datasetDriftShare)})`,
  );
  if (report.predictionDrift) {
    const outputs = report.predictionDrift.features.filter((f) => f.status === 'ok');
    const names = outputs.filter((f) => f.drifted).map((f) => f.name);
    lines.push(`Prediction drift: ${report.predictionDrift.drifted ? `YES (${names.join(', ')})` : 'no'}${outputs.length ? '' : ' (no outputs to compare)'}`);
  }
  return lines.join('\n');
}

/**
 * The outlier line of a monitored model's report: rows with a feature outside the reference
 * profile, and the features most often outside it.
 */
export function renderOutliers(outliers: OutlierSummary): string {
  if (outliers.share === null) return 'Outliers: no rows scored against the reference profile in this range.';
  const worst = Object.entries(outliers.features)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${name} ${n}`);
  const mean = outliers.meanScore === null ? '-' : formatNumber(outliers.meanScore);
  return `Outliers: ${outliers.outlierRows} of ${outliers.rows} rows (${percent(outliers.share)}) have a feature outside the reference's 0.1–99.9% range or an unseen category; mean score ${mean}${worst.length ? ` (${worst.join(', ')})` : ''}`;
}

function featureTable(features: readonly FeatureDrift[], column = 'feature'): string {
  return plainTable(
    [column, 'kind', 'method', 'statistic', 'threshold', 'p-value', 'drifted', 'rows', 'missing'],
    features.map((f) => [
      f.name,
      f.kind,
      f.method,
      f.status === 'ok' ? formatNumber(f.statistic) : '-',
      `${isTest(f) ? 'p < ' : '>= '}${formatNumber(f.threshold)}`,
      f.adjustedPValue === null ? '-' : formatNumber(f.adjustedPValue),
      f.status !== 'ok' ? f.status : f.drifted ? 'YES' : 'no',
      f.rows.current,
      f.rows.current + f.missing.current > 0 ? percent(f.missing.current / (f.rows.current + f.missing.current + f.invalid.current)) : '-',
    ]),
  );
}

/** What the HTML page shows besides the report: the two sides' profiles, for charts and summaries. */
export interface DriftPage {
  readonly report: DriftReport;
  readonly reference: Profile;
  readonly current: Profile;
  readonly heading: DriftHeading;
  /** When the report was made, ISO 8601. */
  readonly generated: string;
}

/** The self-contained HTML page of a drift report. */
export function renderDriftHtml(page: DriftPage): string {
  const { report } = page;
  const profiles = (p: Profile) => new Map([...p.features, ...p.outputs].map((f) => [f.name, f]));
  const reference = profiles(page.reference);
  const current = profiles(page.current);
  const row = (f: FeatureDrift) => {
    const ref = reference.get(f.name);
    const cur = current.get(f.name);
    return `<tr class="${f.drifted ? 'drifted' : f.status !== 'ok' ? 'skipped' : ''}">
<td><strong>${escape(f.name)}</strong><br><span class="muted">${f.kind}</span></td>
<td>${f.status !== 'ok' ? escape(f.status) : f.drifted ? '<span class="badge bad">drifted</span>' : '<span class="badge ok">stable</span>'}</td>
<td>${escape(f.method)}</td>
<td class="num">${f.status === 'ok' ? formatNumber(f.statistic) : '–'}</td>
<td class="num">${isTest(f) ? 'p &lt; ' : '≥ '}${formatNumber(f.threshold)}</td>
<td class="num">${f.adjustedPValue === null ? '–' : formatNumber(f.adjustedPValue)}</td>
<td>${summary(ref)}</td>
<td>${summary(cur)}${f.unseenCategories && f.unseenCategories.count > 0 ? `<br><span class="bad-text">unseen: ${escape(f.unseenCategories.categories.slice(0, 5).map(([c, n]) => `${c} (${n})`).join(', '))}</span>` : ''}</td>
<td>${ref && cur ? chart(ref, cur) : ''}</td>
</tr>`;
  };
  const table = (features: readonly FeatureDrift[]) => `<table>
<thead><tr><th>column</th><th>verdict</th><th>method</th><th>statistic</th><th>threshold</th><th>p-value (adjusted)</th><th>reference</th><th>current</th><th>distribution <span class="legend"><i class="ref"></i>reference <i class="cur"></i>current</span></th></tr></thead>
<tbody>${features.map(row).join('\n')}</tbody>
</table>`;
  const assessed = report.features.filter((f) => f.status === 'ok');
  const drifted = assessed.filter((f) => f.drifted);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(page.heading.title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.muted { color: #6b7280; font-size: 0.85em; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.2rem 0; }
.card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 0.7rem 1rem; min-width: 150px; }
.card b { display: block; font-size: 1.3rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.03em; color: #4b5563; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.drifted { background: #fff5f5; } tr.skipped { color: #9ca3af; }
.badge { border-radius: 999px; padding: 0.1rem 0.55rem; font-size: 0.8rem; } .bad { background: #fde2e2; color: #a11d1d; } .ok { background: #dcfce7; color: #166534; }
.bad-text { color: #a11d1d; font-size: 0.85em; }
.legend { font-weight: normal; text-transform: none; } .legend i { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; }
.ref { background: #9ca3af; } .cur { background: #2563eb; }
svg rect.ref { fill: #9ca3af; } svg rect.cur { fill: #2563eb; }
</style>
</head>
<body>
<h1>${escape(page.heading.title)}</h1>
<div class="muted">${page.heading.range ? `${escape(page.heading.range)} · ` : ''}generated ${escape(page.generated)} by Berth</div>
<div class="cards">
<div class="card"><span class="muted">dataset drift</span><b>${report.datasetDrift ? '<span class="bad-text">yes</span>' : 'no'}</b></div>
<div class="card"><span class="muted">drifted features</span><b>${drifted.length} of ${assessed.length}</b><span class="muted">${percent(report.driftedShare)}; threshold ${percent(report.settings.datasetDriftShare)}</span></div>
<div class="card"><span class="muted">rows</span><b>${report.rows}</b><span class="muted">reference ${report.reference.rows}</span></div>
${report.predictionDrift ? `<div class="card"><span class="muted">prediction drift</span><b>${report.predictionDrift.drifted ? '<span class="bad-text">yes</span>' : 'no'}</b></div>` : ''}
</div>
<h2>Features</h2>
${table(report.features)}
${report.predictionDrift && report.predictionDrift.features.length > 0 ? `<h2>Predictions</h2>\n${table(report.predictionDrift.features)}` : ''}
<p class="muted">Tests (ks, chisquare) flag drift when the p-value, corrected for testing many features (${escape(report.settings.correction)}), is below the threshold and the effect (KS statistic, Cramér's V) is at least ${formatNumber(report.settings.minEffect.ks)}; distances (wasserstein, psi, jensenshannon) when the statistic reaches the threshold.</p>
</body>
</html>
`;
}

/** Reference and current proportions per bin as paired bars. */
function chart(reference: FeatureProfile, current: FeatureProfile): string {
  let ref: readonly number[];
  let cur: readonly number[];
  let labels: readonly string[];
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    if (reference.n === 0 || current.n === 0) return '';
    const bins = binNumericSketches(reference.sketch, current.sketch);
    ref = bins.reference;
    cur = bins.current;
    labels = bins.values ? bins.values.map((v) => formatNumber(v)) : (bins.edges ?? []).slice(0, -1).map((e, i) => `${formatNumber(e)}–${formatNumber(bins.edges![i + 1]!)}`);
  } else if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const aligned = alignCategories(reference.sketch, current.sketch);
    const share = (counts: readonly number[]) => {
      const total = counts.reduce((a, b) => a + b, 0);
      return counts.map((c) => (total > 0 ? c / total : 0));
    };
    ref = share(aligned.reference);
    cur = share(aligned.current);
    labels = aligned.categories;
  } else {
    return '';
  }
  const bins = ref.length;
  if (bins === 0) return '';
  const width = 260;
  const height = 64;
  const step = width / bins;
  const top = Math.max(...ref, ...cur, 1e-9);
  const bar = (value: number, x: number, cls: string, label: string) => {
    const h = Math.max(value > 0 ? 1 : 0, (value / top) * (height - 4));
    return `<rect class="${cls}" x="${x.toFixed(1)}" y="${(height - h).toFixed(1)}" width="${Math.max(0.5, step / 2 - 0.5).toFixed(1)}" height="${h.toFixed(1)}"><title>${escape(label)}: ${percent(value)}</title></rect>`;
  };
  const rects = ref.map((r, i) => bar(r, i * step, 'ref', `${labels[i] ?? ''} reference`) + bar(cur[i] ?? 0, i * step + step / 2, 'cur', `${labels[i] ?? ''} current`)).join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="distribution">${rects}</svg>`;
}

function summary(profile: FeatureProfile | undefined): string {
  if (profile === undefined) return '–';
  const missing = profile.count > 0 ? `, ${percent(profile.missing / profile.count)} missing` : '';
  if (profile.kind === 'numeric') {
    if (profile.n === 0) return `no values${missing}`;
    return `mean ${formatNumber(profile.mean ?? 0)}, sd ${formatNumber(Math.sqrt(profile.variance ?? 0))}<br><span class="muted">${formatNumber(profile.min ?? 0)} to ${formatNumber(profile.max ?? 0)}${missing}</span>`;
  }
  const top = profile.frequencies.slice(0, 3).map(([c, n]) => `${escape(c)} ${percent(profile.n > 0 ? n / profile.n : 0)}`);
  return `${top.join(', ')}${profile.frequencies.length > 3 ? ', …' : ''}<br><span class="muted">${profile.frequencies.length}${profile.other > 0 ? '+' : ''} categories${missing}</span>`;
}

function isTest(f: FeatureDrift): boolean {
  return f.method === 'ks' || f.method === 'chisquare';
}

function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  if (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 0)}%`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
