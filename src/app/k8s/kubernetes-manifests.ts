/**
 * The Kubernetes objects that run Berth replicas: Deployment, Service, HorizontalPodAutoscaler,
 * PodDisruptionBudget, ConfigMap (the config file) and ServiceMonitor. A pure function of its
 * options; `berth k8s` writes what it returns.
 *
 * Two modes. Embedded: the image from `berth build` serves the versions baked into it and needs no
 * database. Shared: every replica serves the registry in PostgreSQL with blobs in S3 and follows
 * alias moves; the database URL comes from a Secret, never from the manifests.
 */
import { createHash } from 'node:crypto';
import { type KubernetesObject, type ObjectMeta, SERVER_IMAGE, kubernetesLabels, serverSecurityContext } from './kubernetes-object.js';

/** Where the registry lives in shared mode. */
export interface SharedStore {
  /** `s3://bucket/prefix` (or a folder on a shared volume the cluster mounts; rare). */
  readonly blobs: string | undefined;
  readonly s3Endpoint?: string | undefined;
  readonly s3ForcePathStyle?: boolean | undefined;
  /** PostgreSQL schema for Berth's tables, if not the connection's default. */
  readonly databaseSchema?: string | undefined;
}

/** Options of {@link kubernetesManifests}. */
export interface KubernetesManifestOptions {
  /** Name of the objects (a DNS-1123 label), e.g. `berth-loans`. */
  readonly name: string;
  readonly namespace?: string | undefined;
  /** The image `berth build` made, e.g. `registry.example/loans:3`. */
  readonly image: string;
  /** The model references served (`loans@production`), recorded as an annotation. */
  readonly models: readonly string[];
  /** Undefined: embedded (the image's own versions); set: shared registry. */
  readonly shared?: SharedStore | undefined;
  /** Replicas at start, and the autoscaler's floor. */
  readonly replicas: number;
  /** The autoscaler's ceiling. */
  readonly maxReplicas: number;
  readonly resources: { readonly cpu: string; readonly memory: string; readonly memoryLimit: string };
  /** Average CPU use, in percent of the request, the autoscaler keeps. */
  readonly targetCpuPercent: number;
  /** Inference requests in flight per replica (`berth_requests_in_flight`) the autoscaler keeps; 0 leaves the metric out. */
  readonly targetInFlight: number;
  /** The server's drain on SIGTERM (config `server.shutdownTimeoutMs`). */
  readonly shutdownTimeoutMs: number;
  /** How long a replica keeps serving with readiness false after SIGTERM, before its drain (config `server.drainDelayMs`). */
  readonly drainDelayMs: number;
  /** The memory budget of each replica's loaded versions in bytes (config `runtime.modelMemory`); 0: none. */
  readonly modelMemory: number;
  /** The config file the ConfigMap holds, without secrets; cluster settings are added to it. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * The Secret with `admin-token` (and in shared mode `database-url`; with `server.inferenceAuth`,
   * `metrics-token` for Prometheus); default the objects' name.
   */
  readonly secretName?: string | undefined;
}

/** Seconds between a pod being marked for deletion and SIGTERM, while endpoints stop routing to it. */
export const PRE_STOP_SECONDS = 5;
/** Seconds after the drain deadline for releasing runtimes and flushing monitor windows. */
const RELEASE_MARGIN_SECONDS = 10;

/** Where the config file is mounted in the container. */
export const CONFIG_PATH = '/etc/berth/config.json';

/**
 * The grace period the kubelet gives a pod before SIGKILL: the preStop pause, then the server's
 * drain delay (serving with readiness false), then its drain deadline for requests in flight, then
 * a margin for releasing runtimes. Requests in flight at SIGTERM finish.
 */
export function terminationGraceSeconds(shutdownTimeoutMs: number, drainDelayMs: number): number {
  return PRE_STOP_SECONDS + Math.ceil(drainDelayMs / 1000) + Math.ceil(shutdownTimeoutMs / 1000) + RELEASE_MARGIN_SECONDS;
}

/** The config file a replica reads: the user's settings, plus where and how it runs in the cluster. */
export function clusterConfig(options: KubernetesManifestOptions): Record<string, unknown> {
  const given = options.config as Record<string, Record<string, unknown> | undefined>;
  const store: Record<string, unknown> = { ...given.store, home: SERVER_IMAGE.home };
  if (options.shared) {
    for (const [key, value] of Object.entries({
      blobs: options.shared.blobs,
      s3Endpoint: options.shared.s3Endpoint,
      s3ForcePathStyle: options.shared.s3ForcePathStyle,
      databaseSchema: options.shared.databaseSchema,
    })) {
      if (value !== undefined) store[key] = value;
    }
  }
  return {
    ...given,
    server: { ...given.server, host: '0.0.0.0', port: SERVER_IMAGE.port, shutdownTimeoutMs: options.shutdownTimeoutMs, drainDelayMs: options.drainDelayMs },
    store,
  };
}

/**
 * Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap and ServiceMonitor
 * for Berth replicas.
 *
 * @example
 *   const objects = kubernetesManifests({ name: 'berth-loans', image: 'registry.example/loans:3', models: ['loans@production'], ... });
 */
export function kubernetesManifests(options: KubernetesManifestOptions): KubernetesObject[] {
  const labels = kubernetesLabels(options.name);
  const selector = { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'], 'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'] };
  const meta = (name: string = options.name): ObjectMeta => ({ name, ...(options.namespace ? { namespace: options.namespace } : {}), labels });
  const secretName = options.secretName ?? options.name;
  const configText = `${JSON.stringify(clusterConfig(options), null, 2)}\n`;
  const configName = `${options.name}-config`;

  const secretEnv = (name: string, key: string, optional = false) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } } });
  const env = [
    { name: 'BERTH_CONFIG', value: CONFIG_PATH },
    ...(options.modelMemory > 0 ? [{ name: 'BERTH_MODEL_MEMORY', value: String(options.modelMemory) }] : []),
    // The server refuses to listen beyond loopback without a token; the Secret holds it.
    secretEnv('BERTH_ADMIN_TOKEN', 'admin-token'),
    // Each replica's monitor windows are told apart by the pod's name.
    { name: 'BERTH_MONITOR_REPLICA_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...(options.shared
      ? [
          secretEnv('BERTH_DATABASE_URL', 'database-url'),
          // Absent keys are fine: on EKS, web identity (IRSA) or the node's role gives the credentials.
          secretEnv('AWS_ACCESS_KEY_ID', 'aws-access-key-id', true),
          secretEnv('AWS_SECRET_ACCESS_KEY', 'aws-secret-access-key', true),
          secretEnv('AWS_REGION', 'aws-region', true),
        ]
      : []),
  ];
  const container = {
    name: 'berth',
    image: options.image,
    // Embedded: the image's own command serves its versions; shared: serve the registry.
    ...(options.shared ? { args: ['serve'] } : {}),
    ports: [{ name: 'http', containerPort: SERVER_IMAGE.port, protocol: 'TCP' }],
    env,
    resources: {
      requests: { cpu: options.resources.cpu, memory: options.resources.memory },
      limits: { memory: options.resources.memoryLimit },
    },
    // Loading and warming the versions may take a while; liveness waits until it is done.
    startupProbe: { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 2, failureThreshold: 150, timeoutSeconds: 2 },
    readinessProbe: { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
    livenessProbe: { httpGet: { path: '/v2/health/live', port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
    securityContext: serverSecurityContext(),
    volumeMounts: [
      { name: 'writable', mountPath: SERVER_IMAGE.writable },
      { name: 'config', mountPath: CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf('/')), readOnly: true },
    ],
  };

  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(), annotations: { 'berth.dev/models': options.models.join(',') } },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          // A new config file rolls the replicas.
          annotations: { 'berth.dev/config-sha256': createHash('sha256').update(configText).digest('hex') },
        },
        spec: {
          terminationGracePeriodSeconds: terminationGraceSeconds(options.shutdownTimeoutMs, options.drainDelayMs),
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: SERVER_IMAGE.uid, runAsGroup: SERVER_IMAGE.gid, fsGroup: SERVER_IMAGE.gid, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [container],
          volumes: [
            // The root filesystem is read-only; BERTH_HOME (unpacked bundles, temporary files) lives here.
            { name: 'writable', emptyDir: {} },
            { name: 'config', configMap: { name: configName } },
          ],
        },
      },
    },
  };

  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: SERVER_IMAGE.port, targetPort: 'http', protocol: 'TCP' }] },
  };

  const metrics: Record<string, unknown>[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: options.targetCpuPercent } } }];
  if (options.targetInFlight > 0) {
    // Served to the HPA by prometheus-adapter (or KEDA) from the gauge at /metrics; see README, Scaling.
    metrics.push({ type: 'Pods', pods: { metric: { name: 'berth_requests_in_flight' }, target: { type: 'AverageValue', averageValue: String(options.targetInFlight) } } });
  }
  const autoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: options.name },
      minReplicas: options.replicas,
      maxReplicas: options.maxReplicas,
      metrics,
      // Scale down slowly: a replica that goes away takes its warmed versions with it.
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };

  const disruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };

  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configName), data: { 'config.json': configText } };

  // With inferenceAuth, /metrics needs a credential with the read scope: Prometheus sends the
  // Secret's `metrics-token` (an API key), or every scrape is refused and the autoscaler loses
  // its in-flight metric.
  const scrapeNeedsToken = (options.config.server as { inferenceAuth?: unknown } | undefined)?.inferenceAuth === true;
  const serviceMonitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta(),
    spec: {
      selector: { matchLabels: selector },
      endpoints: [
        {
          port: 'http',
          path: '/metrics',
          interval: '15s',
          ...(scrapeNeedsToken ? { authorization: { type: 'Bearer', credentials: { name: secretName, key: 'metrics-token' } } } : {}),
        },
      ],
    },
  };

  return [configMap, deployment, service, autoscaler, disruptionBudget, serviceMonitor];
}
