/**
 * API keys over HTTP (docs/api.md, "API keys"): list, create (the key is in the answer and
 * nowhere else) and revoke. Every route needs the `admin` scope (see access-hook.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ACCESS_SCOPES } from '../../core/access-scope.js';
import type { Registry } from '../../registry/index.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, IsoTime, list, named } from './api-schemas.js';

/** An API key as listed (never the key itself). */
export const ApiKeyRecord = named(
  'ApiKeyRecord',
  z.object({
    id: z.string().describe('Public id, for DELETE /api/keys/{id}.'),
    name: z.string(),
    scopes: list(z.enum(ACCESS_SCOPES)),
    model: z.string().nullable().describe('The only model the key reaches, or null for every model.'),
    hint: z.string().describe("The key's first characters, to tell keys apart."),
    created: IsoTime,
    revoked: IsoTime.nullable().describe('When it was revoked, or null while it is live.'),
  }),
);

/** What creating a key takes. */
const CreateKeyBody = z
  .object({
    scopes: z.array(z.enum(ACCESS_SCOPES)).min(1).max(3).describe('predict: run models; read: read the management API and /metrics; admin: everything.'),
    model: z.string().min(1).max(128).optional().describe('Limit the key to this model.'),
    name: z.string().min(1).max(128).optional(),
  })
  .strict();

/** Registers `/keys` on the API scope. */
export function registerKeyRoutes(scope: FastifyInstance, options: { readonly registry: Registry; readonly onRevoked: () => void }): void {
  const api = useApiContract(scope);
  const { registry } = options;
  const actor = (ip: string) => ({ actor: { interface: 'api', actor: ip } });

  api.get(
    '/keys',
    { schema: { tags: ['keys'], summary: 'Every API key, revoked ones included (never the keys themselves)', response: { 200: z.object({ keys: list(ApiKeyRecord) }), ...errorResponses } } },
    async () => ({ keys: await registry.listKeys() }),
  );

  api.post(
    '/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; the answer holds the key, which is shown this once and stored only as a hash',
        body: CreateKeyBody,
        response: { 201: named('CreatedApiKey', z.object({ key: z.string().describe('Send as Authorization: Bearer <key>.'), record: ApiKeyRecord })), ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await registry.createKey(request.body, actor(request.ip));
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  api.delete(
    '/keys/:id',
    {
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key: requests with it are refused from then on (within a second on other replicas)',
        params: z.object({ id: z.string() }),
        response: { 200: ApiKeyRecord, ...errorResponses },
      },
    },
    async (request) => {
      const revoked = await registry.revokeKey(request.params.id, actor(request.ip));
      options.onRevoked();
      return revoked;
    },
  );
}
