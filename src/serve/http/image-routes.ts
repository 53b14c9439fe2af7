/**
 * The image routes of the management API (docs/api.md, "Images"): start a build of registered
 * versions, follow its progress, download the OCI archive. The work happens in ImageJobs; these
 * routes convert and delegate.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ImageJobs } from '../../app/image/image-jobs.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, list } from './api-schemas.js';
import { ImageJob, ImageJobParams, StartImageBody } from './image-schemas.js';

/**
 * Registers `POST /images`, `GET /images`, `GET /images/{id}` and `GET /images/{id}/archive` on
 * the API scope (auth is the scope's hook's job).
 */
export function registerImageRoutes(scope: FastifyInstance, jobs: ImageJobs, prefix = '/api'): void {
  const api = useApiContract(scope);
  api.post(
    '/images',
    {
      schema: {
        tags: ['images'],
        summary: 'Build an OCI image serving registered versions (a job; 202 with its Location)',
        body: StartImageBody,
        response: { 202: ImageJob, ...errorResponses },
      },
    },
    async (request, reply) => {
      const job = await jobs.start({ models: request.body.models, modelcar: request.body.modelcar, tag: request.body.tag });
      return reply.code(202).header('location', `${prefix}/images/${job.id}`).send(job);
    },
  );

  api.get(
    '/images',
    { schema: { tags: ['images'], summary: 'Image builds on this replica, newest first', response: { 200: z.object({ jobs: list(ImageJob) }), ...errorResponses } } },
    async () => ({ jobs: jobs.list() }),
  );

  api.get(
    '/images/:id',
    { schema: { tags: ['images'], summary: 'An image build: state, progress, the image once built', params: ImageJobParams, response: { 200: ImageJob, ...errorResponses } } },
    async (request) => jobs.get(request.params.id),
  );

  api.get(
    '/images/:id/archive',
    {
      schema: {
        tags: ['images'],
        summary: 'The built image as an OCI archive (podman load / docker load)',
        params: ImageJobParams,
        produces: ['application/x-tar'],
      },
    },
    async (request, reply) => {
      const archive = jobs.archive(request.params.id);
      return reply
        .type('application/x-tar')
        .header('content-length', String(archive.bytes))
        .header('content-disposition', `attachment; filename="${archive.filename}"`)
        .send(createReadStream(archive.path));
    },
  );
}
