/**
 * The registry half of the management API (docs/api.md): models, versions, uploads, aliases,
 * deletion, the audit log, and what this replica serves. Routes convert and delegate to the
 * registry; changes that move aliases go through RegistryChanges, which applies them to this
 * replica at once (others follow by polling).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { RegistryChanges } from '../../app/registry-changes.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { DataPlane } from '../data-plane.js';
import type { RegistryFollower } from '../registry-follower.js';

/** What the registry routes need. */
export interface RegistryRoutesOptions {
  readonly registry: Registry;
  readonly dataPlane: DataPlane;
  readonly follower?: RegistryFollower;
  /** Where uploads are written before they are registered. */
  readonly uploadDir: string;
  readonly uploadLimit: number;
  readonly serverVersion: string;
}

const name = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const nameVersion = {
  type: 'object',
  properties: { name: { type: 'string' }, version: { type: 'string' } },
  required: ['name', 'version'],
} as const;
const nameAlias = {
  type: 'object',
  properties: { name: { type: 'string' }, alias: { type: 'string' } },
  required: ['name', 'alias'],
} as const;

function actorOf(request: FastifyRequest): AuditActor {
  return { interface: 'api', actor: request.ip };
}

function versionParam(model: string, version: string): number {
  return parseVersionNumber(version, `${model}:${version}`);
}

/** Registers the registry routes on the API scope. */
export function registerRegistryRoutes(api: FastifyInstance, options: RegistryRoutesOptions): void {
  const { registry, dataPlane, follower } = options;
  const changes = new RegistryChanges(registry, follower);
  void api.register(multipart, { limits: { fileSize: options.uploadLimit, files: 1, fields: 20, fieldSize: 64 * 1024 } });

  api.get('/models', { schema: { tags: ['registry'], summary: 'List models with their aliases and latest version' } }, async () => ({
    models: await registry.listModels(),
  }));

  api.get<{ Params: { name: string } }>(
    '/models/:name',
    { schema: { tags: ['registry'], summary: 'A model and its versions', params: name } },
    async (request) => ({
      model: await registry.getModel(request.params.name),
      versions: await registry.listVersions(request.params.name),
    }),
  );

  api.get<{ Params: { name: string } }>(
    '/models/:name/versions',
    { schema: { tags: ['registry'], summary: "A model's versions, oldest first", params: name } },
    async (request) => ({ versions: await registry.listVersions(request.params.name) }),
  );

  api.get<{ Params: { name: string; version: string } }>(
    '/models/:name/versions/:version',
    { schema: { tags: ['registry'], summary: 'A version with its manifest (signature, schema, pipeline, metrics, lineage, profile)', params: nameVersion } },
    async (request) => {
      const { name: model, version } = request.params;
      return registry.getVersion(model, versionParam(model, version));
    },
  );

  api.post(
    '/models',
    {
      schema: {
        tags: ['registry'],
        summary: 'Register a model: multipart with `file` (.onnx or .berth) and optional `name`, `alias` (repeatable), `description`, `tags` (JSON)',
        consumes: ['multipart/form-data'],
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw Errors.UPLOAD_INVALID.create('the request is not multipart/form-data');
      await mkdir(options.uploadDir, { recursive: true });
      let saved: string | undefined;
      const fields: { name?: string; description?: string; aliases: string[]; tags?: Record<string, string> } = { aliases: [] };
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file') throw Errors.UPLOAD_INVALID.create(`unexpected file field '${part.fieldname}'`);
            const extension = extname(part.filename ?? '').toLowerCase();
            if (extension !== '.onnx' && extension !== '.berth') {
              throw Errors.UPLOAD_INVALID.create(`'${part.filename}' is neither a .onnx file nor a .berth archive`);
            }
            saved = join(options.uploadDir, `upload-${randomUUID()}${extension}`);
            await pipeline(part.file, createWriteStream(saved)).catch((error: unknown) => {
              if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw Errors.REQUEST_TOO_LARGE.create(options.uploadLimit, { cause: error });
              throw error;
            });
            if (part.file.truncated) throw Errors.REQUEST_TOO_LARGE.create(options.uploadLimit);
            continue;
          }
          const value = String(part.value);
          switch (part.fieldname) {
            case 'name':
              fields.name = value;
              break;
            case 'description':
              fields.description = value;
              break;
            case 'alias':
              fields.aliases.push(value);
              break;
            case 'tags':
              try {
                fields.tags = JSON.parse(value) as Record<string, string>;
              } catch {
                throw Errors.UPLOAD_INVALID.create("field 'tags' is not a JSON object of strings");
              }
              break;
            default:
              throw Errors.UPLOAD_INVALID.create(`unknown field '${part.fieldname}' (expected file, name, alias, description, tags)`);
          }
        }
        if (!saved) throw Errors.UPLOAD_INVALID.create("there is no 'file' field");
        const result = await changes.register(saved, {
          ...(fields.name !== undefined ? { name: fields.name } : {}),
          ...(fields.description !== undefined ? { description: fields.description } : {}),
          ...(fields.tags !== undefined ? { tags: fields.tags } : {}),
          aliases: fields.aliases,
          source: `upload:${request.ip}`,
          actor: actorOf(request),
        });
        return reply.code(result.created ? 201 : 200).send(result);
      } finally {
        if (saved) await rm(saved, { force: true });
      }
    },
  );

  api.put<{ Params: { name: string; alias: string }; Body: { version: number | string } }>(
    '/models/:name/aliases/:alias',
    {
      schema: {
        tags: ['registry'],
        summary: 'Point an alias at a version (promote, roll back)',
        params: nameAlias,
        body: {
          type: 'object',
          properties: { version: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+$' }] } },
          required: ['version'],
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { name: model, alias } = request.params;
      return changes.setAlias(model, alias, Number(request.body.version), { actor: actorOf(request) });
    },
  );

  api.delete<{ Params: { name: string; alias: string } }>(
    '/models/:name/aliases/:alias',
    { schema: { tags: ['registry'], summary: 'Remove an alias', params: nameAlias } },
    async (request) => {
      return changes.removeAlias(request.params.name, request.params.alias, { actor: actorOf(request) });
    },
  );

  api.delete<{ Params: { name: string; version: string }; Querystring: { force?: boolean } }>(
    '/models/:name/versions/:version',
    {
      schema: {
        tags: ['registry'],
        summary: 'Delete a version (refused while an alias points at it, unless force=true)',
        params: nameVersion,
        querystring: { type: 'object', properties: { force: { type: 'boolean' } }, additionalProperties: false },
      },
    },
    async (request) => {
      const { name: model, version } = request.params;
      return changes.deleteVersion(model, versionParam(model, version), { force: request.query.force === true, actor: actorOf(request) });
    },
  );

  api.get<{ Querystring: { model?: string; after?: number; limit?: number } }>(
    '/audit',
    {
      schema: {
        tags: ['registry'],
        summary: 'The audit log of registry changes',
        querystring: {
          type: 'object',
          properties: { model: { type: 'string' }, after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10000 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => ({
      entries: await registry.auditLog({
        ...(request.query.model !== undefined ? { model: request.query.model } : {}),
        ...(request.query.after !== undefined ? { after: request.query.after } : {}),
        limit: request.query.limit ?? 100,
        order: 'desc',
      }),
    }),
  );

  api.get('/server', { schema: { tags: ['registry'], summary: 'What this replica serves now, and versions that failed to load' } }, async () => ({
    version: options.serverVersion,
    served: dataPlane.served(),
    failures: follower?.failures() ?? [],
  }));
}
