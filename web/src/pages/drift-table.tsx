import { type ReactNode, useState } from 'react';
import type { DriftReport, FeatureDrift } from '../api/api-types.js';
import { DistributionChart } from '../components/distribution-chart.js';
import { StatusBadge } from '../components/status-badge.js';
import { NARROW_SCREEN, useMediaQuery } from '../hooks/use-media-query.js';
import { featureBins } from '../lib/feature-bins.js';
import { formatNumber } from '../lib/format.js';

/** Content behind a disclosure, drawn only once opened (a closed chart costs nothing). */
function Tapped({ label, children }: { readonly label: string; readonly children: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="distribution-details" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>{label}</summary>
      {open ? children : null}
    </details>
  );
}

/** Props of {@link DriftTable}. */
export interface DriftTableProps {
  readonly report: DriftReport;
}

function status(feature: FeatureDrift) {
  if (feature.status === 'no-current-data') return { level: 'none' as const, label: 'no data', detail: 'No values of this feature in the window.' };
  if (feature.status === 'no-reference-data') return { level: 'none' as const, label: 'no reference', detail: 'The profile has no values of this feature.' };
  return feature.drifted
    ? { level: 'bad' as const, label: 'drifted', detail: `${feature.method} ${formatNumber(feature.statistic)} passes the threshold ${formatNumber(feature.threshold)}` }
    : { level: 'ok' as const, label: 'stable', detail: `${feature.method} within the threshold ${formatNumber(feature.threshold)}` };
}

/** Each feature's drift test beside its reference and current distributions; drifted first. */
export function DriftTable({ report }: DriftTableProps) {
  // On a phone every chart open makes the page thousands of pixels tall: each one waits for a tap.
  const narrow = useMediaQuery(NARROW_SCREEN);
  const features = [...report.features].sort((a, b) => Number(b.drifted) - Number(a.drifted) || a.name.localeCompare(b.name));
  return (
    <div className="table-scroll">
      <p className="legend" aria-hidden="true">
        Distributions: <span className="legend-swatch reference" /> reference (training data) <span className="legend-swatch current" /> current window
      </p>
      <table className="table table-cards drift-table">
        <caption className="visually-hidden">Drift per feature, with reference and current distributions</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Method</th>
            <th scope="col">Statistic</th>
            <th scope="col">p-value</th>
            <th scope="col">Threshold</th>
            <th scope="col">Status</th>
            <th scope="col">Distribution</th>
          </tr>
        </thead>
        <tbody>
          {features.map((f) => {
            const bins = featureBins(f);
            return (
              <tr key={f.name} className={f.drifted ? 'drifted' : undefined}>
                <th scope="row" data-label="Feature">
                  <code>{f.name}</code>
                  <div className="muted small">{f.kind}</div>
                </th>
                <td data-label="Method">{f.method}</td>
                <td data-label="Statistic" className="num">
                  {formatNumber(f.statistic)}
                </td>
                <td data-label="p-value" className="num">
                  {formatNumber(f.adjustedPValue ?? f.pValue)}
                </td>
                <td data-label="Threshold" className="num">
                  {formatNumber(f.threshold)}
                </td>
                <td data-label="Status">
                  <StatusBadge {...status(f)} />
                </td>
                <td data-label="Distribution" className="distribution-cell">
                  {bins.length > 0 && narrow ? (
                    <Tapped label="Distribution">
                      <DistributionChart feature={f.name} bins={bins} numeric={f.kind === 'numeric'} />
                    </Tapped>
                  ) : bins.length > 0 ? (
                    <DistributionChart feature={f.name} bins={bins} numeric={f.kind === 'numeric'} />
                  ) : (
                    <span className="muted small">no distribution data</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
