/**
 * The image routes of the management API (docs/api.md, "Images"): start a build of registered
 * versions, follow its progress, download the OCI archive. The work happens in ImageJobs; these
 * routes convert and delegate.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ImageJobs } from '../../app/image/image-jobs.js';

interface JobParams {
  id: string;
}

interface StartBody {
  models: string[];
  modelcar?: boolean;
  tag?: string;
}

/**
 * Registers `POST /images`, `GET /images`, `GET /images/{id}` and `GET /images/{id}/archive` on
 * the API scope (auth is the scope's hook's job).
 */
export function registerImageRoutes(api: FastifyInstance, jobs: ImageJobs, prefix = '/api'): void {
  api.post<{ Body: StartBody }>(
    '/images',
    {
      schema: {
        tags: ['images'],
        summary: 'Build an OCI image serving registered versions (a job; 202 with its Location)',
        body: {
          type: 'object',
          required: ['models'],
          additionalProperties: false,
          properties: {
            models: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 300 } },
            modelcar: { type: 'boolean' },
            tag: { type: 'string', minLength: 1, maxLength: 255 },
          },
        },
      },
    },
    async (request, reply) => {
      const job = await jobs.start({ models: request.body.models, modelcar: request.body.modelcar, tag: request.body.tag });
      return reply.code(202).header('location', `${prefix}/images/${job.id}`).send(job);
    },
  );

  api.get('/images', { schema: { tags: ['images'], summary: 'Image builds on this replica, newest first' } }, async () => ({ jobs: jobs.list() }));

  api.get<{ Params: JobParams }>('/images/:id', { schema: { tags: ['images'], summary: 'An image build: state, progress, the image once built' } }, async (request) =>
    jobs.get(request.params.id),
  );

  api.get<{ Params: JobParams }>(
    '/images/:id/archive',
    { schema: { tags: ['images'], summary: 'The built image as an OCI archive (podman load / docker load)' } },
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
