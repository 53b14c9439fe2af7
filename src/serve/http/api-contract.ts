/**
 * The management API's contract: every `/api` route declares its request and response schemas
 * once, in zod, and those schemas validate requests, serialise responses and describe the route in
 * `/api/openapi.json`, from which the dashboard's types are generated (scripts/api-types.ts).
 *
 * Only the `/api` routes use zod; the inference protocols keep their JSON schemas and codecs.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchema,
  FastifySchemaCompiler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { type BerthError, Errors } from '../../core/errors.js';
import { apiSchemas } from './api-schemas.js';

/** A scope whose routes are typed by their zod schemas. */
export type ApiScope = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** A catalogue error that takes the problems found in words. */
interface ProblemsError {
  create(problems: string): BerthError;
}

const refusals = new WeakMap<z.ZodType, ProblemsError>();

/**
 * Declares the catalogue error a request gets when `schema` refuses it, when that is not
 * BERTH_REQUEST_INVALID (an alert rule has its own code, say). Returns `schema`.
 */
export function refusedWith<T extends z.ZodType>(schema: T, error: ProblemsError): T {
  refusals.set(schema, error);
  return schema;
}

/**
 * Validates a request part with its zod schema; a refusal is a catalogue error naming every
 * problem (`body.version: expected number`), so the app's error handler renders it as it is.
 */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const error = refusals.get(schema) ?? Errors.REQUEST_INVALID;
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const problems = result.error.issues.map((issue) => `${[httpPart, ...issue.path.map(String)].filter(Boolean).join('.')}: ${issue.message}`);
    return { error: error.create(problems.join('; ')) };
  };
};

/** Makes `scope` validate and serialise with zod schemas, and types its routes by them. */
export function useApiContract(scope: FastifyInstance): ApiScope {
  scope.setValidatorCompiler(validatorCompiler);
  scope.setSerializerCompiler(serializerCompiler);
  return scope.withTypeProvider<ZodTypeProvider>();
}

const zodTransform = createJsonSchemaTransform({ skipList: [], schemaRegistry: apiSchemas });

function isZod(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/**
 * @fastify/swagger's per-route transform: zod schemas become JSON schema; the routes that still
 * declare JSON schema (the inference protocols, hidden from this document) are left as they are.
 */
export const openApiTransform: SwaggerTransform = (document) => {
  const schema = document.schema as FastifySchema | undefined;
  const parts = schema ? [schema.body, schema.querystring, schema.params, schema.headers, ...Object.values((schema.response ?? {}) as object)] : [];
  if (!parts.some(isZod)) return { schema: document.schema, url: document.url };
  return zodTransform(document as Parameters<typeof zodTransform>[0]) as ReturnType<SwaggerTransform>;
};

const zodTransformObject = createJsonSchemaTransformObject({ schemaRegistry: apiSchemas }) as SwaggerTransformObject;

/**
 * @fastify/swagger's whole-document transform: named schemas (see api-schemas.ts) become
 * components, keeping only those a route uses (the registry also holds an `…Input` twin of each).
 */
export const openApiTransformObject: SwaggerTransformObject = (documentObject) => {
  const document = zodTransformObject(documentObject) as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas;
  if (!schemas) return document as ReturnType<SwaggerTransformObject>;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
        const id = child.slice('#/components/schemas/'.length);
        if (!used.has(id)) {
          used.add(id);
          visit(schemas[id]);
        }
      } else visit(child);
    }
  };
  visit(document.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)));
  return { ...document, components: { ...document.components, schemas: kept } } as ReturnType<SwaggerTransformObject>;
};
