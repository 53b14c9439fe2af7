/**
 * The retraining routes of the management API (docs/api.md, "Retraining"): retrain a model now,
 * list its retraining jobs (training jobs: follow one at `/api/training/{id}/events`), and read,
 * set or remove its retraining policy. Routes convert and delegate to Retraining.
 */
import type { FastifyInstance } from 'fastify';
import type { Retraining } from '../../app/retraining/retraining.js';
import { useApiContract } from './api-contract.js';
import { NameParams, errorResponses, list } from './api-schemas.js';
import { RetrainBody, RetrainPolicyBody, RetrainPolicyRecord } from './retrain-schemas.js';
import { TrainingJob } from './training-schemas.js';

/** Registers the retraining routes on the API scope (paths relative to `/api`). */
export function registerRetrainRoutes(scope: FastifyInstance, retraining: Retraining): void {
  const api = useApiContract(scope);
  const tags = ['retraining'];

  api.post(
    '/models/:name/retrain',
    {
      schema: {
        tags,
        summary: 'Retrain a model now: a challenger from its original training data and its labelled traffic, judged against the champion',
        description:
          'Queues a retraining job (202) and returns it; follow it at /api/training/{id} or /api/training/{id}/events. Problems with the data (too few labelled rows, a single class, a schema change, no kept training data, the blob store) fail the job with their code; the champion keeps serving.',
        params: NameParams,
        body: RetrainBody,
        response: { 202: TrainingJob, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const job = await retraining.retrain(request.params.name, {
        ...(body.since !== undefined ? { since: body.since } : {}),
        ...(body.promote !== undefined ? { promote: body.promote } : {}),
        actor: { interface: 'api', actor: request.ip },
      });
      return reply.code(202).send(job);
    },
  );

  api.get(
    '/models/:name/retrain/jobs',
    { schema: { tags, summary: "A model's retraining jobs, newest first", params: NameParams, response: { 200: list(TrainingJob), ...errorResponses } } },
    async (request) => retraining.jobs(request.params.name),
  );

  api.get(
    '/models/:name/retrain/policy',
    { schema: { tags, summary: "A model's retraining policy (policy null when it has none)", params: NameParams, response: { 200: RetrainPolicyRecord, ...errorResponses } } },
    async (request) => (await retraining.getPolicy(request.params.name)) ?? { model: request.params.name, policy: null, state: {}, updated: null },
  );

  api.put(
    '/models/:name/retrain/policy',
    {
      schema: {
        tags,
        summary: "Set a model's retraining policy: triggers (every, cron, onDrift, newLabelledRows), window, promotion, margins",
        params: NameParams,
        body: RetrainPolicyBody,
        response: { 200: RetrainPolicyRecord, ...errorResponses },
      },
    },
    async (request) => retraining.setPolicy(request.params.name, request.body),
  );

  api.delete(
    '/models/:name/retrain/policy',
    {
      schema: {
        tags,
        summary: "Remove a model's retraining policy (it then retrains only by hand); answers the policy it had",
        params: NameParams,
        response: { 200: RetrainPolicyRecord, ...errorResponses },
      },
    },
    async (request) => {
      const had = await retraining.getPolicy(request.params.name);
      await retraining.removePolicy(request.params.name);
      return had ?? { model: request.params.name, policy: null, state: {}, updated: null };
    },
  );
}
