/**
 * The training routes of the management API (docs/api.md, "Training"): upload a CSV to start a
 * job, follow it (JSON or server-sent events), register its model. The work happens in
 * TrainingJobs; these routes convert and delegate.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BerthError, Errors } from '../../core/errors.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { TrainingJob, TrainingJobs } from '../../app/training-jobs.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, list } from './api-schemas.js';
import { RegisterResult } from './registry-schemas.js';
import { JobParams, RegisterJobBody, TrainingJob as TrainingJobSchema } from './training-schemas.js';

/** What the training routes need. */
export interface TrainingRoutesDeps {
  /** The server's training jobs; the caller owns them and closes them at shutdown. */
  readonly jobs: TrainingJobs;
  /** The registry `POST .../register` adds versions to. */
  readonly registry: Registry;
  /** Who a registration is recorded as in the audit log; default `{ interface: 'api' }`. */
  readonly actor?: (request: FastifyRequest) => AuditActor;
  /** Called after a registration moved aliases, so this replica serves the new version at once. */
  readonly onAliasesChanged?: () => Promise<void>;
  /** Path the routes are mounted under; default `/api`. */
  readonly prefix?: string;
  /** How often an event stream sends a keep-alive comment, in ms; default 15000. */
  readonly heartbeatMs?: number;
}

/** Text fields a training upload may carry, and the most bytes each may have. */
const FIELD_LIMIT = 1024;

/**
 * Registers `POST /api/training`, `GET /api/training`, `GET /api/training/{id}`,
 * `GET /api/training/{id}/events` and `POST /api/training/{id}/register` in an encapsulated
 * scope of `app` (so its multipart parser stays there). Errors are thrown as catalogue errors
 * for the app's error handler to render; auth is the app's `/api/` hook's job.
 *
 * Event streams end with an `end` event once the job has succeeded or failed, and are ended when
 * the app closes, so they never hold a shutdown up.
 *
 * @example
 *   registerTrainingRoutes(app, { jobs: new TrainingJobs({ config: config.training, db, blobs, workDir }), registry });
 */
export function registerTrainingRoutes(app: FastifyInstance, deps: TrainingRoutesDeps): void {
  const { jobs } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const actor = deps.actor ?? (() => ({ interface: 'api' }));
  const streams = new Set<ServerResponse>();

  void app.register(
    async (plain) => {
      const scope = useApiContract(plain);
      const tags = ['training'];
      // One multipart parser per app: use the app's when it has one, else one of our own here.
      if (!scope.hasContentTypeParser('multipart/form-data')) await scope.register(multipart);

      scope.addHook('preClose', async () => {
        for (const stream of streams) stream.end();
        streams.clear();
      });

      scope.post(
        '/training',
        {
          schema: {
            tags,
            summary:
              'Start training on a CSV: multipart with `file` and fields `target`, optional `task`, `algorithm`, `name`, `seed`, `classWeight` (none, balanced), `strict` (true, false), `folds` (2 to 20), `keepData` (true, false)',
            consumes: ['multipart/form-data'],
            response: { 202: TrainingJobSchema, ...errorResponses },
          },
        },
        async (request, reply) => {
        const job = await startJob(request, jobs);
          // The job's own URL, wherever the routes are mounted; any replica answers it.
          const path = request.url.split('?')[0]!.replace(/\/+$/, '');
          return reply.code(202).header('location', `${path}/${job.id}`).send(job);
        },
      );

      scope.get(
        '/training',
        { schema: { tags, summary: 'Training jobs, newest first', response: { 200: z.object({ jobs: list(TrainingJobSchema) }), ...errorResponses } } },
        async () => ({ jobs: await jobs.list() }),
      );

      scope.get(
        '/training/:id',
        { schema: { tags, summary: 'A training job', params: JobParams, response: { 200: TrainingJobSchema, ...errorResponses } } },
        async (request) => jobs.get(request.params.id),
      );

      scope.get(
        '/training/:id/events',
        {
          schema: {
            tags,
            summary: 'A training job now and as it changes, as server-sent events (`data:` lines), then `event: end` once it has finished',
            params: JobParams,
            produces: ['text/event-stream'],
          },
        },
        async (request, reply) => {
          await streamJob(request.params.id, request, reply, jobs, streams, heartbeatMs);
        },
      );

      scope.post(
        '/training/:id/register',
        {
          schema: {
            tags,
            summary: "Register a finished job's model",
            params: JobParams,
            body: RegisterJobBody,
            response: { 200: RegisterResult, 201: RegisterResult, ...errorResponses },
          },
        },
        async (request, reply) => {
          const body = request.body ?? {};
          const result = await jobs.register(request.params.id, deps.registry, { ...body, actor: actor(request) });
          if (result.aliasesSet.length > 0) await deps.onAliasesChanged?.();
          return reply.code(result.created ? 201 : 200).send(result);
        },
      );
    },
    { prefix: deps.prefix ?? '/api' },
  );
}

/** Streams the upload to disk (never more than the limit) and submits the job. */
async function startJob(request: FastifyRequest, jobs: TrainingJobs): Promise<TrainingJob> {
  if (!request.isMultipart()) {
    throw Errors.REQUEST_UNSUPPORTED_MEDIA_TYPE.create(request.headers['content-type'] ?? '(none)', "multipart/form-data with the CSV in a field named 'file'");
  }
  const csv = await jobs.uploadPath();
  const fields: Record<string, string> = {};
  let file: string | undefined;
  try {
    const parts = request.parts({ limits: { fileSize: jobs.maxUploadBytes, files: 1, fields: 16, fieldSize: FIELD_LIMIT } });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw Errors.REQUEST_INVALID.create(`file field '${part.fieldname}' is not expected; send the CSV in a field named 'file'`);
        }
        await pipeline(part.file, createWriteStream(csv));
        if (part.file.truncated) throw Errors.TRAINING_UPLOAD_TOO_LARGE.create(jobs.maxUploadBytes);
        file = part.filename || 'upload.csv';
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    await rm(csv, { force: true });
    throw uploadError(error, jobs.maxUploadBytes);
  }
  if (file === undefined) {
    await rm(csv, { force: true });
    throw Errors.REQUEST_INVALID.create("the CSV is missing: send it in a multipart field named 'file'");
  }
  const number = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));
  const flag = (name: 'strict' | 'keepData'): boolean | undefined | 'invalid' => {
    const value = fields[name];
    return value === undefined || value === '' ? undefined : value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : 'invalid';
  };
  const strict = flag('strict');
  const keepData = flag('keepData');
  for (const [name, value] of [['strict', strict], ['keepData', keepData]] as const) {
    if (value === 'invalid') {
      await rm(csv, { force: true });
      throw Errors.TRAIN_OPTION_INVALID.create(name, `'${fields[name]}' is not true or false`);
    }
  }
  return jobs.submit({
    csv,
    file,
    target: fields.target,
    task: fields.task,
    algorithm: fields.algorithm,
    name: fields.name,
    seed: number(fields.seed),
    classWeight: fields.classWeight,
    strict: strict as boolean | undefined,
    folds: number(fields.folds),
    keepData: keepData as boolean | undefined,
  });
}

/** Multipart's own errors as catalogue errors. */
function uploadError(error: unknown, limit: number): unknown {
  if (error instanceof BerthError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return Errors.TRAINING_UPLOAD_TOO_LARGE.create(limit);
  if (code === 'FST_FILES_LIMIT') return Errors.REQUEST_INVALID.create("send one file only, the CSV, in a field named 'file'");
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return Errors.REQUEST_INVALID.create('the upload has too many fields');
  if (code === 'FST_PROTO_VIOLATION') return Errors.REQUEST_INVALID.create('a field name is not allowed');
  if (error instanceof Error && /multipart|boundary|terminated early/i.test(error.message)) return Errors.REQUEST_INVALID.create(`the multipart body is malformed (${error.message})`);
  return error;
}

/**
 * Server-sent events: the job now, then each change (made on this replica or another), then
 * `event: end` once it has finished. An unknown id is answered 404 before the stream starts.
 */
async function streamJob(id: string, request: FastifyRequest, reply: FastifyReply, jobs: TrainingJobs, streams: Set<ServerResponse>, heartbeatMs: number): Promise<void> {
  // Followed before the stream starts, so an unknown id is still an ordinary 404.
  const pending: TrainingJob[] = [];
  let send: (job: TrainingJob) => void = (job) => pending.push(job);
  const unsubscribe = await jobs.subscribe(id, (job) => send(job));
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold events back in their buffers.
    'x-accel-buffering': 'no',
  });
  streams.add(raw);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs);
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(raw);
  };
  send = (job: TrainingJob): void => {
    if (stopped) return;
    raw.write(`data: ${JSON.stringify(job)}\n\n`);
    if (job.state === 'succeeded' || job.state === 'failed') {
      raw.end('event: end\ndata: {}\n\n');
      stop();
    }
  };
  request.raw.on('close', stop);
  raw.on('close', stop);
  if (raw.destroyed) stop();
  for (const job of pending.splice(0)) send(job);
}
