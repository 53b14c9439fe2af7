/**
 * Request and response schemas of the registry routes (docs/api.md, "Registry"). The shapes are
 * the registry's records (registry/registry-records.ts) as they travel over HTTP.
 */
import { z } from 'zod';
import { type FeatureSchema as FeatureSchemaType, FeatureSchemaSchema } from '../../core/feature-schema.js';
import { CountPair, IsoTime, JsonObject, list, named, sentAs } from './api-schemas.js';

/** A model in summary. */
export const ModelRecord = named(
  'ModelRecord',
  z.object({
    name: z.string(),
    created: IsoTime,
    versions: z.number().int().describe('How many versions it has now.'),
    latestVersion: z.number().int().nullable().describe('Its highest version number, or null when it has none.'),
    aliases: z.record(z.string(), z.number().int()).describe('Alias name → version number.'),
  }),
);

/** A version without its manifest. */
export const VersionRecord = named(
  'VersionRecord',
  z.object({
    model: z.string(),
    version: z.number().int(),
    digest: z.string().describe('The bundle digest, sha256:<hex>.'),
    size: z.number().int().describe('Bytes of the bundle, manifest included.'),
    created: IsoTime,
    source: z.string().describe('Where it was registered from.'),
    tags: z.record(z.string(), z.string()),
    aliases: list(z.string()).describe('The aliases that point at it, sorted.'),
  }),
);

/** A tensor of a signature. */
export const TensorSpec = named('TensorSpec', z.object({ name: z.string(), datatype: z.string(), shape: list(z.number().int()).optional() }));

/** One named feature of a schema, and the schema. */
export const FeatureSchema = named('FeatureSchema', FeatureSchemaSchema as unknown as z.ZodType<FeatureSchemaType>);

/** A quantile of a numeric profile. */
const Quantile = z.object({ q: z.number(), value: z.number() });

/**
 * One feature's reference statistics in a profile. Only what clients read is declared; the rest
 * (the sketches the monitor compares with) is carried along undeclared.
 */
export const FeatureProfile = named(
  'FeatureProfile',
  z.looseObject({
    name: z.string(),
    kind: z.enum(['numeric', 'categorical']),
    count: z.number().optional(),
    missing: z.number().optional(),
    n: z.number().optional(),
    min: z.number().nullable().optional(),
    max: z.number().nullable().optional(),
    mean: z.number().nullable().optional(),
    quantiles: list(Quantile).optional(),
    histogram: z.object({ edges: list(z.number()), counts: list(z.number()) }).optional().describe('counts[i] values in [edges[i], edges[i+1]).'),
    frequencies: list(CountPair).optional().describe('[category, count], most frequent first.'),
    other: z.number().optional(),
  }),
);

/** The statistics of the training data. */
export const Profile = named('Profile', z.looseObject({ rows: z.number(), features: list(FeatureProfile), outputs: list(FeatureProfile).optional() }));

/** The bundle manifest (`berth.json`) of a version; fields it does not declare are kept. */
export const BundleManifest = named(
  'BundleManifest',
  z.looseObject({
    formatVersion: z.number().int(),
    name: z.string(),
    description: z.string(),
    created: IsoTime,
    model: JsonObject,
    signature: z.object({ inputs: list(TensorSpec), outputs: list(TensorSpec) }),
    schema: FeatureSchema.optional(),
    pipeline: JsonObject.optional(),
    profile: sentAs<object>(Profile).optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    evaluation: JsonObject.optional(),
    lineage: JsonObject.optional(),
    tags: z.record(z.string(), z.string()),
    files: list(z.object({ path: z.string(), sha256: z.string(), size: z.number().int() })),
  }),
);

/** A version with its manifest and files. */
export const VersionDetail = named(
  'VersionDetail',
  VersionRecord.extend({
    manifest: BundleManifest,
    files: list(z.object({ path: z.string(), digest: z.string(), size: z.number().int() })),
  }),
);

/** `GET /api/models/{name}`. */
export const ModelDetail = named('ModelDetail', z.object({ model: ModelRecord, versions: list(VersionRecord) }));

/** What registering did. */
export const RegisterResult = named(
  'RegisterResult',
  z.object({
    version: VersionDetail,
    created: z.boolean().describe('False when the model already had a version with this digest, which is returned instead.'),
    aliasesSet: list(z.string()),
  }),
);

/** An alias and what it points at. */
export const AliasRecord = named('AliasRecord', z.object({ model: z.string(), alias: z.string(), version: z.number().int(), digest: z.string(), updated: IsoTime }));

/** What moving an alias did. */
export const AliasChange = named('AliasChange', AliasRecord.extend({ previous: z.number().int().nullable() }));

/** What deleting a version did. */
export const DeleteResult = named('DeleteResult', z.object({ deleted: VersionRecord, aliasesRemoved: list(z.string()), blobsRemoved: z.number().int() }));

/** One change from the audit log. */
export const AuditEntry = named(
  'AuditEntry',
  z.object({
    seq: z.number().int(),
    at: IsoTime,
    interface: z.string(),
    actor: z.string().nullable(),
    action: z.enum(['model.create', 'version.register', 'version.delete', 'alias.set', 'alias.remove', 'deployment.set', 'deployment.clear', 'key.create', 'key.revoke']),
    model: z.string().nullable(),
    version: z.number().int().nullable(),
    alias: z.string().nullable(),
    details: JsonObject,
  }),
);

/** What this replica serves now, and versions that failed to load. */
export const ServerStatus = named(
  'ServerStatus',
  z.object({
    version: z.string(),
    served: list(
      z.object({
        model: z.string(),
        version: z.string(),
        digest: z.string().optional().describe('The bundle digest, for versions served from bundles.'),
        aliases: list(z.string()),
        default: z.boolean().describe('True for the version the plain model name answers with.'),
        state: z.string().describe("The runtime's state: ready once it takes requests."),
        source: z.string(),
      }),
    ),
    failures: list(z.object({ model: z.string(), version: z.string(), reason: z.string(), at: IsoTime })),
  }),
);

/** `{name, version}` in a path. */
export const NameVersionParams = z.object({ name: z.string(), version: z.string() });

/** `{name, alias}` in a path. */
export const NameAliasParams = z.object({ name: z.string(), alias: z.string() });

/** The body of `PUT .../aliases/{alias}`. */
export const SetAliasBody = z.strictObject({ version: z.union([z.number().int().min(1), z.string().regex(/^[0-9]+$/)]) });

/** `true`/`false` in a query string. */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');
