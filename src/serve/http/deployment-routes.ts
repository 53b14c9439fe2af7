/**
 * The deployment half of the management API (docs/api.md, "Deployments"): read, replace and clear
 * a model's traffic policy. Changes go through RegistryChanges, which first loads the versions on
 * this replica (a version that cannot load is refused before anything changes) and then applies
 * the change here at once; other replicas follow by polling.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deploymentStatus } from '../../app/deployment-status.js';
import type { RegistryChanges } from '../../app/registry-changes.js';
import type { MonitorReports, ShadowComparisons } from '../../monitor/index.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { DataPlane } from '../data-plane.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, NameParams } from './api-schemas.js';
import { NameVersionParams } from './registry-schemas.js';
import { ComparisonQuery, DeploymentChange, DeploymentStatus, DeploymentStatusQuery, SetDeploymentBody, ShadowComparisonReport } from './deployment-schemas.js';

/** What the deployment routes need. */
export interface DeploymentRoutesOptions {
  readonly registry: Registry;
  readonly changes: RegistryChanges;
  readonly dataPlane: DataPlane;
  /** The monitor's reports, for each version's figures; absent while monitoring is off. */
  readonly reports?: MonitorReports | undefined;
  /** Shadow comparisons, for their reports. */
  readonly comparisons?: ShadowComparisons | undefined;
}

function actorOf(request: FastifyRequest): AuditActor {
  return { interface: 'api', actor: request.ip };
}

/** Registers the deployment routes on the API scope. */
export function registerDeploymentRoutes(scope: FastifyInstance, options: DeploymentRoutesOptions): void {
  const api = useApiContract(scope);
  const { registry, changes, dataPlane } = options;
  const tags = ['deployments'];

  api.get(
    '/models/:name/deployment',
    {
      schema: {
        tags,
        summary: "A model's deployment (variants, shadows, sticky key) and each version's figures over the last 5 minutes (or `since`)",
        params: NameParams,
        querystring: DeploymentStatusQuery,
        response: { 200: DeploymentStatus, ...errorResponses },
      },
    },
    async (request) => {
      const model = request.params.name;
      const served = new Set(dataPlane.served().filter((s) => s.model === model).map((s) => Number(s.version)));
      return deploymentStatus(model, { registry, reports: options.reports, comparisons: options.comparisons, served: (version) => served.has(version), since: request.query.since });
    },
  );

  api.put(
    '/models/:name/deployment',
    {
      schema: {
        tags,
        summary: "Replace a model's deployment: variants with weights summing to 100, shadows with a sample share, a sticky key",
        description:
          'Refused with nothing changed: weights not summing to 100, a version twice, a shadow that is a variant (400 BERTH_DEPLOYMENT_INVALID), an unknown version (404), a version that cannot load (422 BERTH_DEPLOYMENT_VERSION_UNLOADABLE), a stale expectedSeq (409).',
        params: NameParams,
        body: SetDeploymentBody,
        response: { 200: DeploymentChange, ...errorResponses },
      },
    },
    async (request) => {
      const { expectedSeq, ...policy } = request.body;
      return changes.setDeployment(request.params.name, policy, { actor: actorOf(request), ...(expectedSeq !== undefined ? { expectedSeq } : {}) });
    },
  );

  api.delete(
    '/models/:name/deployment',
    {
      schema: {
        tags,
        summary: "Clear a model's deployment: its default version takes all traffic again",
        params: NameParams,
        response: { 200: DeploymentChange, ...errorResponses },
      },
    },
    async (request) => changes.clearDeployment(request.params.name, { actor: actorOf(request) }),
  );

  const comparisons = options.comparisons;
  if (comparisons) {
    api.get(
      '/models/:name/shadows/:version/comparison',
      {
        schema: {
          tags,
          summary: 'How a shadow compares with the versions that answered: label agreement, differences of values, latency side by side',
          description: 'Merged from every replica. `from` and `to` as ISO times or durations ago (default: the last hour).',
          params: NameVersionParams,
          querystring: ComparisonQuery,
          response: { 200: ShadowComparisonReport, ...errorResponses },
        },
      },
      async (request) => {
        const { name: model, version } = request.params;
        const number = parseVersionNumber(version, `${model}:${version}`);
        const deployment = await registry.getDeployment(model);
        const shadows = deployment?.shadows.map((s) => s.version) ?? [];
        const report = await comparisons.report(model, number, request.query);
        // A version that is no shadow now, with nothing recorded in the range, was asked by mistake.
        if (!shadows.includes(number) && report.requests === 0 && report.dropped === 0) throw Errors.DEPLOYMENT_SHADOW_NOT_FOUND.create(model, number, shadows);
        return report;
      },
    );
  }
}
