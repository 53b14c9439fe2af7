/**
 * `berth k8s <model-ref>... --image <ref> [-o dir]`: Kubernetes manifests for Berth replicas
 * (embedded, or shared with `--database`/`--blobs`), or with `--kserve` a KServe ServingRuntime
 * and InferenceServices. The manifests are built by the app layer; this command checks the
 * options and writes the files (or one YAML stream).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type KubernetesObject,
  checkKubernetesName,
  isQuantity,
  kserveManifests,
  kubernetesManifests,
  kubernetesName,
  manifestFiles,
  manifestStream,
  memoryResources,
} from '../../app/k8s/index.js';
import { type Config, drainDelayMs } from '../../core/config.js';
import { isThisMachine } from '../../core/loopback.js';
import { Errors } from '../../core/errors.js';
import { parseModelRef } from '../../core/model-ref.js';

/** Options of `berth k8s`. */
export interface K8sCommandOptions {
  /** Model references served (`loans@production`); with `--kserve`, one InferenceService each. */
  readonly references: readonly string[];
  /** The image `berth build` made. */
  readonly image: string;
  /** Folder to write; undefined: the returned stream is printed. */
  readonly output?: string | undefined;
  /**
   * Validated configuration: the drain delay and deadline, the model memory budget and, in shared
   * mode, the store settings.
   */
  readonly config: Config;
  /** The config file as given (JSON), for the ConfigMap; secrets are left out. */
  readonly configFile?: Readonly<Record<string, unknown>> | undefined;
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly replicas?: number | undefined;
  readonly maxReplicas?: number | undefined;
  readonly cpu?: string | undefined;
  readonly memory?: string | undefined;
  readonly memoryLimit?: string | undefined;
  readonly targetCpuPercent?: number | undefined;
  readonly targetInFlight?: number | undefined;
  readonly secretName?: string | undefined;
  /** Write a KServe ServingRuntime and InferenceServices instead. */
  readonly kserve?: boolean | undefined;
  /** With `kserve`: one `s3://…` or `oci://…` URI per reference, in order. */
  readonly storageUris?: readonly string[] | undefined;
}

/** What `berth k8s` produced. */
export interface K8sCommandResult {
  readonly mode: 'embedded' | 'shared' | 'kserve';
  readonly objects: readonly KubernetesObject[];
  /** Files written (absolute), when an output folder was given. */
  readonly files: readonly string[];
  /** The YAML stream, when no output folder was given. */
  readonly stream: string | undefined;
  /** The Secret the manifests read, and the keys it must hold. */
  readonly secret: { readonly name: string; readonly keys: readonly string[] };
  /** Settings of the config file not copied into the ConfigMap because they are secret. */
  readonly leftOut: readonly string[];
}

const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;
const SECRET_SETTINGS: readonly (readonly [string, string])[] = [
  ['server', 'adminToken'],
  ['store', 'databaseUrl'],
  ['store', 'home'],
  ['monitor', 'webhooks'],
];

/** Builds the manifests and writes them to `output` (or returns them as one stream). */
export async function k8sCommand(options: K8sCommandOptions): Promise<K8sCommandResult> {
  if (options.references.length === 0) throw Errors.K8S_OPTION_INVALID.create('<model-ref>', 'name at least one model (name, name@alias or name:version)');
  const refs = options.references.map((reference) => parseModelRef(reference));
  if (!IMAGE.test(options.image)) throw Errors.K8S_OPTION_INVALID.create('--image', `${JSON.stringify(options.image)} is not an image reference such as registry.example/loans:3`);
  const { modelMemory } = options.config.runtime;
  const resources = {
    cpu: quantity('--cpu', options.cpu ?? '1'),
    ...memoryResources(modelMemory, {
      memory: options.memory === undefined ? undefined : quantity('--memory', options.memory),
      memoryLimit: options.memoryLimit === undefined ? undefined : quantity('--memory-limit', options.memoryLimit),
    }),
  };
  const replicas = options.replicas ?? 2;
  const maxReplicas = options.maxReplicas ?? Math.max(10, replicas);
  if (maxReplicas < replicas) throw Errors.K8S_OPTION_INVALID.create('--max-replicas', `${maxReplicas} is below --replicas ${replicas}`);
  // An HPA's floor must be at least 1 (the API server refuses 0 unless the HPAScaleToZero gate is
  // on); KServe's own autoscaler may scale to zero.
  if (replicas < 1 && !options.kserve) throw Errors.K8S_OPTION_INVALID.create('--replicas', 'it is the HorizontalPodAutoscaler\'s floor, which must be at least 1 (scale to zero is KServe\'s: --kserve)');
  const name = options.name !== undefined ? checkKubernetesName(options.name, '--name') : kubernetesName(`berth-${refs[0]!.model}`, '--name');
  const namespace = options.namespace !== undefined ? checkKubernetesName(options.namespace, '--namespace') : undefined;
  const secretName = options.secretName !== undefined ? checkKubernetesName(options.secretName, '--secret') : name;
  const { shutdownTimeoutMs } = options.config.server;
  // Replicas listen beyond loopback, where an unset drain delay means 5 s.
  const drainDelay = drainDelayMs({ server: { host: '0.0.0.0', drainDelayMs: options.config.server.drainDelayMs } });

  let mode: K8sCommandResult['mode'];
  let objects: KubernetesObject[];
  const keys = ['admin-token'];
  const { config: configFile, leftOut } = withoutSecrets(options.configFile ?? {});
  if (options.kserve) {
    mode = 'kserve';
    const uris = options.storageUris ?? [];
    if (uris.length !== refs.length) {
      throw Errors.K8S_OPTION_INVALID.create('--storage-uri', `give one per model (${refs.length}), in the same order: s3://bucket/path to a models folder, or oci://registry/repo:tag of a berth build --modelcar image`);
    }
    for (const uri of uris) {
      if (!/^(s3|oci):\/\/[^/\s]+\/?\S*$/.test(uri)) throw Errors.K8S_OPTION_INVALID.create('--storage-uri', `${JSON.stringify(uri)} is neither s3://bucket/path nor oci://registry/repo:tag`);
    }
    objects = kserveManifests({
      runtimeName: options.name !== undefined ? name : 'berth',
      namespace,
      image: options.image,
      models: refs.map((ref, i) => ({ name: kubernetesName(ref.model, '<model-ref>'), storageUri: uris[i]! })),
      minReplicas: replicas,
      maxReplicas,
      resources,
      shutdownTimeoutMs,
      drainDelayMs: drainDelay,
      modelMemory,
      secretName,
    });
  } else {
    if (options.storageUris?.length) throw Errors.K8S_OPTION_INVALID.create('--storage-uri', 'it is for --kserve only');
    const { databaseUrl, blobs } = options.config.store;
    const shared = databaseUrl !== undefined || blobs !== undefined;
    if (shared) {
      if (databaseUrl === undefined || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
        throw Errors.K8S_OPTION_INVALID.create('--database', 'shared mode needs the PostgreSQL registry every replica reads (postgres://…); its URL goes into the Secret, not the manifests');
      }
      if (blobs === undefined || !blobs.startsWith('s3://')) {
        throw Errors.K8S_OPTION_INVALID.create('--blobs', 'shared mode needs the S3 blob store every replica reads (s3://bucket/prefix)');
      }
      // Copied from this machine's environment, an endpoint on this machine (a local MinIO at
      // 127.0.0.1, localhost or 0.0.0.0) would be the pod itself there.
      const { s3Endpoint } = options.config.store;
      if (s3Endpoint !== undefined && isThisMachine(s3Endpoint)) {
        throw Errors.K8S_OPTION_INVALID.create(
          'BERTH_S3_ENDPOINT',
          `${s3Endpoint} (store.s3Endpoint) names this machine (a loopback or unspecified address, or a localhost name), which inside a pod is the pod itself, so no replica could reach S3; set BERTH_S3_ENDPOINT (or store.s3Endpoint in --config) to the endpoint the pods reach, such as http://minio.storage.svc:9000, or unset it for AWS S3`,
        );
      }
      keys.push('database-url');
    }
    // Prometheus's credential for /metrics (an API key with the read scope), which the ServiceMonitor names.
    if ((configFile.server as { inferenceAuth?: unknown } | undefined)?.inferenceAuth === true) keys.push('metrics-token');
    mode = shared ? 'shared' : 'embedded';
    objects = kubernetesManifests({
      name,
      namespace,
      image: options.image,
      models: options.references,
      shared: shared
        ? { blobs, s3Endpoint: options.config.store.s3Endpoint, s3ForcePathStyle: options.config.store.s3ForcePathStyle, databaseSchema: options.config.store.databaseSchema }
        : undefined,
      replicas,
      maxReplicas,
      resources,
      targetCpuPercent: options.targetCpuPercent ?? 70,
      targetInFlight: options.targetInFlight ?? 8,
      shutdownTimeoutMs,
      drainDelayMs: drainDelay,
      modelMemory,
      config: configFile,
      secretName,
    });
  }

  const secret = { name: secretName, keys };
  if (options.output === undefined) return { mode, objects, files: [], stream: manifestStream(objects), secret, leftOut };
  const dir = resolve(options.output);
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw Errors.K8S_OPTION_INVALID.create('-o', `${dir} exists and is not a folder`);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const file of manifestFiles(objects)) {
    const path = join(dir, file.path);
    await writeFile(path, file.text);
    files.push(path);
  }
  return { mode, objects, files, stream: undefined, secret, leftOut };
}

function quantity(option: string, value: string): string {
  if (!isQuantity(value)) throw Errors.K8S_OPTION_INVALID.create(option, `${JSON.stringify(value)} is not a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi`);
  return value;
}

/** The config file without the settings that belong in the Secret (or nowhere in the cluster). */
function withoutSecrets(config: Readonly<Record<string, unknown>>): { config: Record<string, unknown>; leftOut: string[] } {
  const copy: Record<string, unknown> = { ...config };
  const leftOut: string[] = [];
  for (const [section, key] of SECRET_SETTINGS) {
    const values = copy[section];
    if (values && typeof values === 'object' && key in values) {
      const { [key]: _removed, ...rest } = values as Record<string, unknown>;
      copy[section] = rest;
      if (key !== 'home') leftOut.push(`${section}.${key}`);
    }
  }
  return { config: copy, leftOut };
}
