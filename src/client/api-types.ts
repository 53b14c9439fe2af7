/**
 * The management API's shapes under short names, taken from the types the build generates from
 * the server's OpenAPI document (scripts/api-types.ts), the same file the dashboard uses: the
 * client and the server cannot drift apart silently. The package ships that file (package.json
 * `files`), so the declarations in dist/client resolve it. Only the inference protocol's shapes, which that document
 * does not describe, are written out by hand (in oip-wire.ts and berth-client.ts).
 */
import type { components, paths } from '../../web/src/api/generated/openapi.js';

type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonContent<R> = R extends { content: { 'application/json': infer J } } ? J : never;

/** The JSON a route answers on success (200, 201 or 202). */
export type ResponseOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer S } ? JsonContent<S> : R extends { 201: infer S } ? JsonContent<S> : R extends { 202: infer S } ? JsonContent<S> : never
    : never;

/** The query parameters a route takes. */
export type QueryOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? (Q extends undefined ? never : NonNullable<Q>) : never;

/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type { components, paths };
export type ErrorBody = Schemas['ErrorBody'];
export type ModelRecord = Schemas['ModelRecord'];
export type ModelListEntry = Schemas['ModelListEntry'];
export type ModelDetail = Schemas['ModelDetail'];
export type ModelMonitorSummary = Schemas['ModelMonitorSummary'];
export type VersionRecord = Schemas['VersionRecord'];
export type VersionDetail = Schemas['VersionDetail'];
export type BundleManifest = Schemas['BundleManifest'];
export type FeatureSchema = Schemas['FeatureSchema'];
export type TensorSpec = Schemas['TensorSpec'];
export type AliasRecord = Schemas['AliasRecord'];
export type AliasChange = Schemas['AliasChange'];
export type DeleteResult = Schemas['DeleteResult'];
export type AuditEntry = Schemas['AuditEntry'];
export type RegisterResult = Schemas['RegisterResult'];
export type ServerStatus = Schemas['ServerStatus'];
export type PredictResponse = Schemas['PredictResponse'];
export type FeedbackResult = Schemas['FeedbackResult'];
export type DriftReport = Schemas['DriftReport'];
export type DriftHistory = Schemas['DriftHistory'];
export type Traffic = Schemas['Traffic'];
export type PerformanceReport = Schemas['PerformanceReport'];
export type LoggedRequest = Schemas['LoggedRequest'];
export type AlertRecord = Schemas['AlertRecord'];
export type AlertRuleRecord = Schemas['AlertRuleRecord'];
export type TrainingJob = Schemas['TrainingJob'];

/** The body of `POST /api/models/{name}/feedback`. */
export type FeedbackBody = BodyOf<'/api/models/{name}/feedback', 'post'>;
/** The body of `POST /api/alerts/rules`. */
export type AlertRuleBody = BodyOf<'/api/alerts/rules', 'post'>;
/** Query of `GET /api/models/{name}/monitor/drift`. */
export type DriftQuery = QueryOf<'/api/models/{name}/monitor/drift', 'get'>;
/** Query of `GET /api/models/{name}/monitor/drift/history`. */
export type DriftHistoryQuery = QueryOf<'/api/models/{name}/monitor/drift/history', 'get'>;
/** Query of `GET /api/models/{name}/monitor/traffic`. */
export type TrafficQuery = QueryOf<'/api/models/{name}/monitor/traffic', 'get'>;
/** Query of `GET /api/models/{name}/monitor/performance`. */
export type PerformanceQuery = QueryOf<'/api/models/{name}/monitor/performance', 'get'>;
/** Query of `GET /api/audit`. */
export type AuditQuery = QueryOf<'/api/audit', 'get'>;
