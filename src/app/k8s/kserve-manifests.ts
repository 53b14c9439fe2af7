/**
 * Berth as a KServe serving runtime: a `ServingRuntime` for the `onnx` model format over the Open
 * Inference Protocol (v2), as KServe ships for Triton and MLServer, and one `InferenceService` per
 * model with its storage URI (`s3://…`, or `oci://…` for a `berth build --modelcar` image). KServe
 * puts the model at /mnt/models; the runtime serves that folder's one model under the
 * InferenceService's name (`berth serve {{.Name}}=/mnt/models`).
 */
import { type KubernetesObject, SERVER_IMAGE, kubernetesLabels, serverSecurityContext } from './kubernetes-object.js';
import { PRE_STOP_SECONDS, terminationGraceSeconds } from './kubernetes-manifests.js';

/** Where KServe's storage initializer (or modelcar) puts the model. */
export const KSERVE_MODEL_DIR = '/mnt/models';

/** One model served through KServe. */
export interface KServeModel {
  /** The InferenceService's name (a DNS-1123 label), which is also the model's name in `/v2/models/{name}`. */
  readonly name: string;
  /** `s3://bucket/path` to a models folder, or `oci://registry/repo:tag` of a modelcar image. */
  readonly storageUri: string;
}

/** Options of {@link kserveManifests}. */
export interface KServeManifestOptions {
  /** Name of the ServingRuntime, e.g. `berth`. */
  readonly runtimeName: string;
  readonly namespace?: string | undefined;
  /** The server image `berth build` made. */
  readonly image: string;
  readonly models: readonly KServeModel[];
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly resources: { readonly cpu: string; readonly memory: string; readonly memoryLimit: string };
  /** The server's drain on SIGTERM (config `server.shutdownTimeoutMs`). */
  readonly shutdownTimeoutMs: number;
  /** How long the server keeps serving with readiness false after SIGTERM, before its drain (config `server.drainDelayMs`). */
  readonly drainDelayMs: number;
  /** The memory budget of the loaded versions in bytes (config `runtime.modelMemory`); 0: none. */
  readonly modelMemory: number;
  /** The Secret holding `admin-token`, in the InferenceServices' namespace. */
  readonly secretName: string;
}

/**
 * The ServingRuntime and an InferenceService per model.
 *
 * @example
 *   kserveManifests({ runtimeName: 'berth', image: 'registry.example/berth:1', models: [{ name: 'loans', storageUri: 'oci://registry.example/loans-modelcar:3' }], ... });
 */
export function kserveManifests(options: KServeManifestOptions): KubernetesObject[] {
  const namespace = options.namespace ? { namespace: options.namespace } : {};
  const runtime = {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: {
      name: options.runtimeName,
      ...namespace,
      labels: kubernetesLabels(options.runtimeName),
      annotations: { 'prometheus.kserve.io/port': String(SERVER_IMAGE.port), 'prometheus.kserve.io/path': '/metrics' },
    },
    spec: {
      supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 1 }],
      protocolVersions: ['v2'],
      multiModel: false,
      containers: [
        {
          name: 'kserve-container',
          image: options.image,
          // KServe puts the InferenceService's name for {{.Name}}, and clients call /v2/models/<that name>:
          // the model is served under it, though its registry name may have '_' or capitals.
          args: ['serve', `{{.Name}}=${KSERVE_MODEL_DIR}`],
          env: [
            { name: 'BERTH_HOST', value: '0.0.0.0' },
            { name: 'BERTH_PORT', value: String(SERVER_IMAGE.port) },
            { name: 'BERTH_HOME', value: SERVER_IMAGE.home },
            { name: 'BERTH_SHUTDOWN_TIMEOUT_MS', value: String(options.shutdownTimeoutMs) },
            { name: 'BERTH_DRAIN_DELAY_MS', value: String(options.drainDelayMs) },
            ...(options.modelMemory > 0 ? [{ name: 'BERTH_MODEL_MEMORY', value: String(options.modelMemory) }] : []),
            { name: 'BERTH_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: options.secretName, key: 'admin-token' } } },
          ],
          ports: [{ containerPort: SERVER_IMAGE.port, protocol: 'TCP' }],
          resources: {
            requests: { cpu: options.resources.cpu, memory: options.resources.memory },
            limits: { memory: options.resources.memoryLimit },
          },
          readinessProbe: { httpGet: { path: '/v2/health/ready', port: SERVER_IMAGE.port }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
          livenessProbe: { httpGet: { path: '/v2/health/live', port: SERVER_IMAGE.port }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
          lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
          securityContext: serverSecurityContext(),
          volumeMounts: [{ name: 'writable', mountPath: SERVER_IMAGE.writable }],
        },
      ],
      // The root filesystem is read-only; BERTH_HOME lives here. KServe adds /mnt/models itself.
      volumes: [{ name: 'writable', emptyDir: {} }],
    },
  };
  const services = options.models.map((model) => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: model.name, ...namespace, labels: kubernetesLabels(model.name) },
    spec: {
      predictor: {
        minReplicas: options.minReplicas,
        maxReplicas: options.maxReplicas,
        terminationGracePeriodSeconds: terminationGraceSeconds(options.shutdownTimeoutMs, options.drainDelayMs),
        model: { modelFormat: { name: 'onnx' }, runtime: options.runtimeName, protocolVersion: 'v2', storageUri: model.storageUri },
      },
    },
  }));
  return [runtime, ...services];
}
