import type { ReactNode } from 'react';
import type { DeploymentStatus, ShadowComparisonReport, VersionFigures } from '../api/api-types.js';
import { formatNumber, formatPercent, formatRate } from '../lib/format.js';
import { StatusBadge } from './status-badge.js';
import './deployment.css';

/** What a version does in the deployment, in words: "variant · 80%", "shadow · 50% copied". */
function roleText(v: VersionFigures): string {
  if (v.role === 'shadow') return `shadow · ${formatPercent(v.sample)} copied`;
  if (v.role === 'default') return 'default · all traffic';
  return `variant · ${formatPercent((v.weight ?? 0) / 100)}`;
}

function milliseconds(value: number | null): string {
  return value === null ? '—' : `${formatNumber(value)} ms`;
}

/** The drift verdict of one version, as the server judged it against the version's profile. */
function DriftCell({ figures }: { readonly figures: VersionFigures }) {
  if (figures.requests === 0) return <StatusBadge level="none" label="no traffic" detail="nothing to compare in this range yet" />;
  if (figures.drift === null) return <StatusBadge level="none" label="no report" detail={figures.driftUnavailable ?? undefined} />;
  const { datasetDrift, driftedShare, driftedFeatures } = figures.drift;
  const detail = driftedFeatures.length > 0 ? `drifted: ${driftedFeatures.join(', ')}` : 'no feature drifted';
  return <StatusBadge level={datasetDrift ? 'bad' : driftedFeatures.length > 0 ? 'warn' : 'ok'} label={`${formatPercent(driftedShare)} drifted`} detail={detail} />;
}

/** Props of {@link DeploymentTable}. */
export interface DeploymentTableProps {
  readonly status: DeploymentStatus;
  /** The range the figures cover, in words: "5 min". */
  readonly range: string;
  /** Actions of a row (remove a shadow), drawn in its last cell. */
  readonly actions?: (figures: VersionFigures) => ReactNode;
}

/**
 * Each version taking part in a deployment with its live figures side by side: its role and share,
 * requests per second, error rate, p50/p99 latency and drift, as the server computed them from the
 * monitor's windows (a shadow's are those of its copies). Nothing is computed here.
 */
export function DeploymentTable({ status, range, actions }: DeploymentTableProps) {
  const versions = status.versions ?? [];
  return (
    <div className="table-scroll">
      <table className="table table-cards deployment-table">
        <caption className="visually-hidden">Versions of the deployment of {status.model}, with their figures over the last {range}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Role</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Rate
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              p50
            </th>
            <th scope="col" className="num">
              p99
            </th>
            <th scope="col">Drift</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={`${v.role}-${v.version}`} className={`deployment-${v.role}`}>
              <th scope="row" data-label="Version">
                v{v.version}
                {v.served === false ? (
                  <>
                    {' '}
                    <StatusBadge level="warn" label="not loaded" detail="this server has not loaded it yet" />
                  </>
                ) : null}
              </th>
              <td data-label="Role">{roleText(v)}</td>
              <td data-label="Requests" className="num">
                {formatNumber(v.requests)}
              </td>
              <td data-label="Rate" className="num">
                {formatRate(v.requestsPerSecond)}
              </td>
              <td data-label="Errors" className="num">
                {v.errorRate === null ? '—' : `${formatPercent(v.errorRate)} (${formatNumber(v.errors)})`}
              </td>
              <td data-label="p50" className="num">
                {milliseconds(v.latencyMs.p50)}
              </td>
              <td data-label="p99" className="num">
                {milliseconds(v.latencyMs.p99)}
              </td>
              <td data-label="Drift">
                <DriftCell figures={v} />
              </td>
              <td className="actions">{actions?.(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * How one shadow compared with the versions that answered the same requests: label agreement
 * (classifiers), the differences of values, failures and drops, and both latencies side by side,
 * merged by the server from every replica.
 */
export function ShadowComparisonView({ report }: { readonly report: ShadowComparisonReport }) {
  const { agreement, differences, latencyMs } = report;
  const level = agreement === null ? 'none' : agreement.rate >= 0.99 ? 'ok' : agreement.rate >= 0.95 ? 'warn' : 'bad';
  return (
    <section className="shadow-comparison" aria-label={`Shadow v${report.shadow} against the answers`}>
      <h3>
        Shadow v{report.shadow} against the answers{' '}
        {agreement ? <StatusBadge level={level} label={`${formatPercent(agreement.rate)} agree`} detail={`${formatNumber(agreement.labels)} labels compared`} /> : null}
      </h3>
      <dl className="facts">
        <div>
          <dt>Copies run</dt>
          <dd>{formatNumber(report.requests)}</dd>
        </div>
        <div>
          <dt>Rows compared</dt>
          <dd>{formatNumber(report.rows)}</dd>
        </div>
        <div>
          <dt>Label agreement</dt>
          <dd>{agreement ? `${formatPercent(agreement.rate)} of ${formatNumber(agreement.labels)}` : 'no labels compared'}</dd>
        </div>
        <div>
          <dt>Mean |shadow − answer|</dt>
          <dd>{differences ? `${formatNumber(differences.meanAbsolute)} over ${formatNumber(differences.count)} values` : 'no values compared'}</dd>
        </div>
        <div>
          <dt>p99 answer / shadow</dt>
          <dd>
            {milliseconds(latencyMs.primary.p99)} / {milliseconds(latencyMs.shadow.p99)}
          </dd>
        </div>
        <div>
          <dt>Failed / dropped</dt>
          <dd>
            {formatNumber(report.failed)} / {formatNumber(report.dropped)}
          </dd>
        </div>
      </dl>
    </section>
  );
}
