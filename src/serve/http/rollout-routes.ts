/**
 * The rollout half of the management API (docs/api.md, "Rollouts and roll back"): progressive
 * rollouts (start, read, abort) and rolling an alias back to the version it served before (the
 * rule is the registry's, see registry/rollback-target.ts). Routes convert and delegate to
 * Rollouts; traffic changes apply to this replica at once.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RegistryChanges } from '../../app/registry-changes.js';
import type { RolloutRunner } from '../../app/rollouts/rollout-runner.js';
import type { Rollouts } from '../../app/rollouts/rollouts.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { RegistryFollower } from '../registry-follower.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, list, NameParams } from './api-schemas.js';
import { AliasChange } from './registry-schemas.js';
import { NameIdParams, RollbackBody, RollbackPlans, RolloutRecord, StartRolloutBody } from './rollout-schemas.js';

/** What the rollout routes need. */
export interface RolloutRoutesOptions {
  readonly registry: Registry;
  readonly follower?: RegistryFollower;
  /** Rollouts; absent where no runner steps them (monitoring off), so none can start. */
  readonly rollouts?: Rollouts;
  /** This replica's runner, asked to take a new rollout's first step at once. */
  readonly runner?: RolloutRunner;
}

function actorOf(request: FastifyRequest): AuditActor {
  return { interface: 'api', actor: request.ip };
}

/** Registers the rollout routes on the API scope (paths relative to `/api`). */
export function registerRolloutRoutes(scope: FastifyInstance, options: RolloutRoutesOptions): void {
  const api = useApiContract(scope);
  const { registry } = options;
  const changes = new RegistryChanges(registry, options.follower);
  const tags = ['rollouts'];

  api.get(
    '/models/:name/rollback',
    {
      schema: {
        tags,
        summary: 'Where each alias of a model would roll back to',
        params: NameParams,
        response: { 200: RollbackPlans, ...errorResponses },
      },
    },
    async (request) => {
      const model = request.params.name;
      const aliases = Object.keys((await registry.getModel(model)).aliases).sort();
      const plans = await Promise.all(aliases.map((alias) => registry.rollbackPlan(model, alias)));
      return { model, aliases: plans.map(({ alias, version, target }) => ({ alias, version, target })) };
    },
  );

  api.post(
    '/models/:name/rollback',
    {
      schema: {
        tags,
        summary: 'Roll an alias (default production) back to the version it served before',
        description: 'The version is taken from the audit log: the one the alias most recently pointed at that is older than its version now. 409 BERTH_REGISTRY_ROLLBACK_UNAVAILABLE when there is none.',
        params: NameParams,
        body: RollbackBody,
        response: { 200: AliasChange, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const rollback = {
        actor: actorOf(request),
        ...(body.alias !== undefined ? { alias: body.alias } : {}),
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
      };
      return options.rollouts ? options.rollouts.rollback(request.params.name, rollback) : changes.rollback(request.params.name, rollback);
    },
  );

  const rollouts = options.rollouts;
  if (!rollouts) return;

  api.post(
    '/models/:name/rollouts',
    {
      schema: {
        tags,
        summary: 'Start a progressive rollout from the production version to a challenger',
        description:
          'Answers 201 once the rollout is recorded and, when this replica could take it, its first step is taken. A challenger that cannot be loaded fails the rollout before any traffic moves (422 BERTH_ROLLOUT_CHALLENGER_FAILED; the failed rollout stays in the list).',
        params: NameParams,
        body: StartRolloutBody,
        response: { 201: RolloutRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = request.params.name;
      const { version, ...plan } = request.body;
      const challenger = typeof version === 'number' ? version : parseVersionNumber(version, `${model}:${version}`);
      const started = await rollouts.start(model, challenger, plan, actorOf(request));
      await options.runner?.tick();
      const record = await rollouts.get(model, started.id);
      if (record.state === 'failed' && record.step.index < 0) {
        throw Errors.ROLLOUT_CHALLENGER_FAILED.create(model, challenger, record.reason ?? 'the server could not deploy it', { details: { rollout: record.id } });
      }
      return reply.code(201).header('location', `/api/models/${encodeURIComponent(model)}/rollouts/${record.id}`).send(record);
    },
  );

  api.get(
    '/models/:name/rollouts',
    {
      schema: {
        tags,
        summary: "A model's rollouts, newest first",
        params: NameParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional() }),
        response: { 200: z.object({ rollouts: list(RolloutRecord) }), ...errorResponses },
      },
    },
    async (request) => ({ rollouts: await rollouts.list(request.params.name, request.query.limit ?? 20) }),
  );

  api.get(
    '/models/:name/rollouts/:id',
    { schema: { tags, summary: 'One rollout: its plan, step, latest check and timeline', params: NameIdParams, response: { 200: RolloutRecord, ...errorResponses } } },
    async (request) => rollouts.get(request.params.name, request.params.id),
  );

  api.post(
    '/models/:name/rollouts/:id/abort',
    {
      schema: {
        tags,
        summary: 'Abort a running rollout: every request goes back to the champion at once',
        params: NameIdParams,
        response: { 200: RolloutRecord, ...errorResponses },
      },
    },
    async (request) => rollouts.abort(request.params.name, actorOf(request), request.params.id),
  );
}
