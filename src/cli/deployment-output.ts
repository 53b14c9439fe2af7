/** How the deployment commands show their results to people; scripts use --json. */
import type { DeploymentStatus, DeploymentVersionStatus } from '../app/deployment-status.js';
import type { DeploymentChange, DeploymentRecord } from '../registry/index.js';
import { plainTable } from './registry-output.js';

/** One line per part of a policy: `variants 1=80 2=20`, `shadows 3 (50%)`, `sticky header x-berth-route-key`. */
export function renderPolicy(deployment: DeploymentRecord | null, defaultVersion?: number | null): string {
  if (!deployment) return `No deployment: ${defaultVersion ? `version ${defaultVersion} (the default version)` : 'the default version'} takes all traffic.`;
  const variants = deployment.variants.length ? deployment.variants.map((v) => `${v.version}=${v.weight}`).join(' ') : `none (the default version${defaultVersion ? `, ${defaultVersion},` : ''} takes all traffic)`;
  const shadows = deployment.shadows.length ? deployment.shadows.map((s) => `${s.version} (${formatShare(s.sample)} of requests)`).join(', ') : 'none';
  return [`variants  ${variants}`, `shadows   ${shadows}`, `sticky    ${deployment.sticky.kind} ${deployment.sticky.name}`, `changed   ${deployment.updated} (change ${deployment.seq})`].join('\n');
}

/** What a change did. */
export function renderDeploymentChange(model: string, change: DeploymentChange): string {
  if (!change.deployment) return change.previous ? `Cleared the deployment of ${model}: its default version takes all traffic.` : `${model} had no deployment; nothing changed.`;
  return `Deployment of ${model} (servers follow within 2 seconds):\n${renderPolicy(change.deployment)}`;
}

/** The policy and each version's figures side by side. */
export function renderDeploymentStatus(status: DeploymentStatus): string {
  const head = `Deployment of ${status.model}\n${renderPolicy(status.deployment, status.defaultVersion)}`;
  if (!status.versions) return `${head}\n\nMonitoring is off: no live figures.`;
  if (status.versions.length === 0) return head;
  const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const rows = status.versions.map((v) => [
    String(v.version),
    v.role,
    v.weight !== null ? `${v.weight}%` : v.sample !== null ? `copies ${formatShare(v.sample)}` : '-',
    v.requests,
    v.requestsPerSecond.toFixed(2),
    v.errorRate === null ? '-' : `${(v.errorRate * 100).toFixed(2)}%`,
    ms(v.latencyMs.p50),
    ms(v.latencyMs.p99),
    v.drift ? `${(v.drift.driftedShare * 100).toFixed(0)}% of features${v.drift.datasetDrift ? ' (drift)' : ''}` : '-',
    compared(v.comparison),
  ]);
  const range = status.versions[0] ? `\n\nLast ${status.versions[0].from} to ${status.versions[0].to}, every replica:` : '';
  return `${head}${range}\n${plainTable(['version', 'role', 'share', 'requests', 'req/s', 'errors', 'p50 ms', 'p99 ms', 'drift', 'vs answers'], rows)}`;
}

/** A shadow's comparison in short: disagreement of labels, or the mean difference of values, and drops. */
function compared(comparison: DeploymentVersionStatus['comparison']): string {
  if (!comparison) return '-';
  const parts: string[] = [];
  if (comparison.disagreement !== null) parts.push(`${(comparison.disagreement * 100).toFixed(1)}% disagree`);
  if (comparison.meanAbsoluteDifference !== null) parts.push(`mean |diff| ${Number(comparison.meanAbsoluteDifference.toPrecision(3))}`);
  if (comparison.dropped > 0) parts.push(`${comparison.dropped} dropped`);
  return parts.length ? parts.join(', ') : '-';
}

function formatShare(sample: number): string {
  return `${Number((sample * 100).toFixed(2))}%`;
}
