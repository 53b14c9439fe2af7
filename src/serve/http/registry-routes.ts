/**
 * The registry half of the management API (docs/api.md): models, versions, uploads, aliases,
 * deletion, the audit log, and what this replica serves. Routes convert and delegate to the
 * registry; changes that move aliases go through RegistryChanges, which applies them to this
 * replica at once (others follow by polling).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { RegistryChanges } from '../../app/registry-changes.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import { tagsProblem } from '../../core/tags.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { DataPlane } from '../data-plane.js';
import type { ModelMonitorSummary as ModelMonitorSummaryType } from '../../monitor/index.js';
import type { RegistryFollower } from '../registry-follower.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, list, NameParams, named } from './api-schemas.js';
import { ModelMonitorSummary } from './monitor-schemas.js';
import {
  AliasChange,
  AliasRecord,
  AuditEntry,
  DeleteResult,
  ModelDetail,
  ModelRecord,
  NameAliasParams,
  NameVersionParams,
  QueryBoolean,
  RegisterResult,
  ServerStatus,
  SetAliasBody,
  VersionDetail,
  VersionRecord,
} from './registry-schemas.js';

/** What the registry routes need. */
export interface RegistryRoutesOptions {
  readonly registry: Registry;
  readonly dataPlane: DataPlane;
  readonly follower?: RegistryFollower;
  /** Where uploads are written before they are registered. */
  readonly uploadDir: string;
  readonly uploadLimit: number;
  readonly serverVersion: string;
  /** A model's monitoring summary for `GET /models?summary=true`; absent while monitoring is off. */
  readonly summarize?: (model: string) => Promise<ModelMonitorSummaryType>;
}

function actorOf(request: FastifyRequest): AuditActor {
  return { interface: 'api', actor: request.ip };
}

function versionParam(model: string, version: string): number {
  return parseVersionNumber(version, `${model}:${version}`);
}

/** A model of the list, with its monitoring summary when asked for. */
const ModelListEntry = named('ModelListEntry', ModelRecord.extend({ summary: ModelMonitorSummary.nullable().optional() }));

/** Registers the registry routes on the API scope. */
export function registerRegistryRoutes(scope: FastifyInstance, options: RegistryRoutesOptions): void {
  const api = useApiContract(scope);
  const { registry, dataPlane, follower } = options;
  const changes = new RegistryChanges(registry, follower);
  void api.register(multipart, { limits: { fileSize: options.uploadLimit, files: 1, fields: 20, fieldSize: 64 * 1024 } });

  api.get(
    '/models',
    {
      schema: {
        tags: ['registry'],
        summary: 'List models with their aliases and latest version',
        description: 'With summary=true, each model also carries `summary`: its traffic over the last 5 minutes and its drift over the last 24 hours (null while monitoring is off).',
        querystring: z.object({ summary: QueryBoolean.optional() }),
        response: { 200: z.object({ models: list(ModelListEntry) }), ...errorResponses },
      },
    },
    async (request) => {
      const models = await registry.listModels();
      if (request.query.summary !== true) return { models };
      const summarize = options.summarize;
      return { models: await Promise.all(models.map(async (m) => ({ ...m, summary: summarize ? await summarize(m.name) : null }))) };
    },
  );

  api.get(
    '/models/:name',
    { schema: { tags: ['registry'], summary: 'A model and its versions', params: NameParams, response: { 200: ModelDetail, ...errorResponses } } },
    async (request) => ({
      model: await registry.getModel(request.params.name),
      versions: await registry.listVersions(request.params.name),
    }),
  );

  api.get(
    '/models/:name/versions',
    {
      schema: {
        tags: ['registry'],
        summary: "A model's versions, oldest first",
        params: NameParams,
        response: { 200: z.object({ versions: list(VersionRecord) }), ...errorResponses },
      },
    },
    async (request) => ({ versions: await registry.listVersions(request.params.name) }),
  );

  api.get(
    '/models/:name/versions/:version',
    {
      schema: {
        tags: ['registry'],
        summary: 'A version with its manifest (signature, schema, pipeline, metrics, lineage, profile)',
        params: NameVersionParams,
        response: { 200: VersionDetail, ...errorResponses },
      },
    },
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
        response: { 200: RegisterResult, 201: RegisterResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw Errors.UPLOAD_INVALID.create('the request is not multipart/form-data');
      await mkdir(options.uploadDir, { recursive: true });
      let saved: string | undefined;
      let label: string | undefined;
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
            // Messages and the default model name use the client's file name, never the server's path.
            label = basename(part.filename ?? '');
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
            case 'tags': {
              let tags: unknown;
              try {
                tags = JSON.parse(value);
              } catch {
                throw Errors.UPLOAD_INVALID.create("field 'tags' is not JSON; send a JSON object of strings, like {\"team\": \"ml\"}");
              }
              const problem = tagsProblem(tags);
              if (problem) throw Errors.UPLOAD_INVALID.create(`field 'tags': ${problem}`);
              fields.tags = tags as Record<string, string>;
              break;
            }
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
          label,
          actor: actorOf(request),
        });
        return reply.code(result.created ? 201 : 200).send(result);
      } finally {
        if (saved) await rm(saved, { force: true });
      }
    },
  );

  api.put(
    '/models/:name/aliases/:alias',
    {
      schema: {
        tags: ['registry'],
        summary: 'Point an alias at a version (promote, roll back)',
        params: NameAliasParams,
        body: SetAliasBody,
        response: { 200: AliasChange, ...errorResponses },
      },
    },
    async (request) => {
      const { name: model, alias } = request.params;
      return changes.setAlias(model, alias, Number(request.body.version), { actor: actorOf(request) });
    },
  );

  api.delete(
    '/models/:name/aliases/:alias',
    { schema: { tags: ['registry'], summary: 'Remove an alias', params: NameAliasParams, response: { 200: AliasRecord, ...errorResponses } } },
    async (request) => {
      return changes.removeAlias(request.params.name, request.params.alias, { actor: actorOf(request) });
    },
  );

  api.delete(
    '/models/:name/versions/:version',
    {
      schema: {
        tags: ['registry'],
        summary: 'Delete a version (refused while an alias points at it, unless force=true)',
        params: NameVersionParams,
        querystring: z.strictObject({ force: QueryBoolean.optional() }),
        response: { 200: DeleteResult, ...errorResponses },
      },
    },
    async (request) => {
      const { name: model, version } = request.params;
      return changes.deleteVersion(model, versionParam(model, version), { force: request.query.force === true, actor: actorOf(request) });
    },
  );

  api.get(
    '/audit',
    {
      schema: {
        tags: ['registry'],
        summary: 'The audit log of registry changes',
        querystring: z.strictObject({
          model: z.string().optional(),
          after: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(10000).optional(),
        }),
        response: { 200: z.object({ entries: list(AuditEntry) }), ...errorResponses },
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

  api.get(
    '/server',
    { schema: { tags: ['registry'], summary: 'What this replica serves now, and versions that failed to load', response: { 200: ServerStatus, ...errorResponses } } },
    async () => ({ version: options.serverVersion, served: dataPlane.served(), failures: [...(follower?.failures() ?? [])] }),
  );
}
