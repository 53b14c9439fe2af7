/**
 * The registry of named schemas of the management API: a schema registered here with an `id`
 * becomes `#/components/schemas/<id>` in `/api/openapi.json`, and so a named type in the
 * dashboard's generated types. Shared pieces (the error body, path parameters) live here too.
 */
import { z } from 'zod';

/** Named schemas of the API document. */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

/** Registers `schema` under `id` and returns it. */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  apiSchemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

/**
 * `z.array(item)` typed as a readonly array, so the layers' readonly records type-check as
 * replies; on the wire it is a plain array.
 */
export function list<T extends z.ZodType>(item: T): z.ZodType<readonly z.output<T>[], readonly z.input<T>[]> {
  return z.array(item) as unknown as z.ZodType<readonly z.output<T>[], readonly z.input<T>[]>;
}

/**
 * `schema` typed as sending values of the layers' type `T`, where a layer holds as plain JSON what
 * the API declares in detail (a manifest's profile). The schema still checks every reply.
 */
export function sentAs<T>(schema: z.ZodType): z.ZodType<T, T> {
  return schema as unknown as z.ZodType<T, T>;
}

/** `[category, count]`, typed readonly. */
export const CountPair = z.tuple([z.string(), z.number()]) as unknown as z.ZodType<readonly [string, number]>;

/** The body of every error answer (docs/errors.md). */
export const ErrorBody = named(
  'ErrorBody',
  z.object({
    error: z.string().describe('What went wrong and what to do next.'),
    code: z.string().describe('The catalogue code, BERTH_<AREA>_<WHAT>.'),
  }),
);

/** Error answers every route may give, for the document. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/**
 * A JSON object passed through as it is (a manifest's pipeline, an audit entry's details), typed
 * `object` so the layers' interfaces type-check as replies.
 */
export const JsonObject = z.record(z.string(), z.unknown()) as unknown as z.ZodType<object, object>;

/** An ISO 8601 time as the API writes it. */
export const IsoTime = z.string().describe('ISO 8601 time');

/** `{name}` in a path. */
export const NameParams = z.object({ name: z.string() });
