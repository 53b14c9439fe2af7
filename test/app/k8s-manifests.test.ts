/**
 * `berth k8s`: every manifest validates against the Kubernetes OpenAPI schemas (kubernetes-models;
 * the ServiceMonitor against the Prometheus Operator's), the security context, probes and drain
 * figures are what the server needs, and `kubectl kustomize` renders the folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Container } from 'kubernetes-models/v1/Container';
import { Service } from 'kubernetes-models/v1/Service';
import { Volume } from 'kubernetes-models/v1/Volume';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type KubernetesObject, PRE_STOP_SECONDS, SERVER_IMAGE, terminationGraceSeconds } from '../../src/app/k8s/index.js';
import { k8sCommand } from '../../src/cli/commands/k8s.js';
import { loadConfig } from '../../src/cli/load-config.js';
import { buildConfig } from '../../src/core/config.js';
import { Errors } from '../../src/core/errors.js';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const work = tempDir('berth-k8s-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KUBECTL = process.env.KUBECTL || '/usr/bin/kubectl';
const KUBECTL_SKIP = existsSync(KUBECTL)
  ? undefined
  : `skipped: kubectl is not installed (Debian package kubernetes-client, or set KUBECTL=/path/to/kubectl)`;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment: Deployment as never,
  Service: Service as never,
  HorizontalPodAutoscaler: HorizontalPodAutoscaler as never,
  PodDisruptionBudget: PodDisruptionBudget as never,
  ConfigMap: ConfigMap as never,
  ServiceMonitor: ServiceMonitor as never,
};

/** Validates an object against its OpenAPI schema; throws listing what is wrong. */
function validate(object: KubernetesObject): void {
  const Model = MODELS[object.kind];
  if (!Model) throw new Error(`no schema for ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}

/** A manifest read field by field; the schemas above have checked its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

function byKind(objects: readonly KubernetesObject[], kind: string): Manifest {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
}

async function manifests(options: Partial<Parameters<typeof k8sCommand>[0]> = {}) {
  return k8sCommand({ references: ['loans@production'], image: 'registry.example/loans:3', config: buildConfig({}), ...options });
}

describe('berth k8s: embedded mode', () => {
  it('writes objects that validate against the Kubernetes OpenAPI schemas', async () => {
    const result = await manifests();
    expect(result.mode).toBe('embedded');
    expect(result.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
    for (const object of result.objects) expect(() => validate(object), object.kind).not.toThrow();
    // The schemas are strict enough to catch a wrong field.
    const broken = structuredClone(byKind(result.objects, 'Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => validate(broken as KubernetesObject)).toThrow(/containerPort/);
  });

  it('runs the image as it was built: non-root, read-only root with an emptyDir for BERTH_HOME, no privilege, no capabilities', async () => {
    const deployment = byKind((await manifests()).objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example/loans:3');
    // Embedded: the image's own command serves the versions baked into it.
    expect(container.args).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: SERVER_IMAGE.uid, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const writable = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: { name: string }) => v.name === writable.name)).toEqual({ name: writable.name, emptyDir: {} });
    expect(container.env).toContainEqual({ name: 'BERTH_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'berth-loans', key: 'admin-token' } } });
    expect(container.env.map((e: { name: string }) => e.name)).not.toContain('BERTH_DATABASE_URL');
    expect(deployment.metadata.annotations['berth.dev/models']).toBe('loans@production');
  });

  it('probes the Open Inference Protocol health routes, and the grace period covers the drain', async () => {
    const config = loadConfig({ env: { BERTH_SHUTDOWN_TIMEOUT_MS: '12500' } });
    const result = await manifests({ config });
    const deployment = byKind(result.objects, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.startupProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' });
    expect(container.lifecycle.preStop).toEqual({ sleep: { seconds: PRE_STOP_SECONDS } });
    // preStop pause, then the 5 s drain delay a server beyond loopback keeps by default, then its
    // 12.5 s drain (rounded up), then 10 s to release runtimes.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 5 + 13 + 10);
    expect(terminationGraceSeconds(30_000, 5000)).toBe(50);
    expect(terminationGraceSeconds(30_000, 0)).toBe(45);
    // The replicas drain with the same delay and deadline the grace period was computed from.
    const served = JSON.parse(byKind(result.objects, 'ConfigMap').data['config.json']);
    expect(served.server).toMatchObject({ host: '0.0.0.0', port: 8080, shutdownTimeoutMs: 12_500, drainDelayMs: 5000 });
    expect(container.env).toContainEqual({ name: 'BERTH_CONFIG', value: '/etc/berth/config.json' });
    const replica = loadConfig({ env: {}, file: writeJson('served.json', served) });
    expect(replica.server).toMatchObject({ shutdownTimeoutMs: 12_500, drainDelayMs: 5000 });
  });

  it('counts a drain delay given with --drain-delay-ms (or BERTH_DRAIN_DELAY_MS) in the grace period', async () => {
    for (const config of [loadConfig({ env: {}, flags: { server: { drainDelayMs: 20_500 } } }), loadConfig({ env: { BERTH_DRAIN_DELAY_MS: '20500' } })]) {
      const result = await manifests({ config });
      // 5 s preStop, 21 s delay, 30 s drain, 10 s release.
      expect(byKind(result.objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 21 + 30 + 10);
      expect(JSON.parse(byKind(result.objects, 'ConfigMap').data['config.json']).server.drainDelayMs).toBe(20_500);
    }
    const none = await manifests({ config: loadConfig({ env: { BERTH_DRAIN_DELAY_MS: '0' } }) });
    expect(byKind(none.objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 30 + 10);
  });

  it('passes the model memory budget to the replicas, and asks for the budget plus the baseline', async () => {
    const gib = 1024 ** 3;
    const plain = byKind((await manifests()).objects, 'Deployment').spec.template.spec.containers[0];
    expect(plain.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } });
    expect(plain.env.map((e: { name: string }) => e.name)).not.toContain('BERTH_MODEL_MEMORY');

    const result = await manifests({ config: loadConfig({ env: {}, flags: { runtime: { modelMemory: 3 * gib } } }) });
    for (const object of result.objects) expect(() => validate(object), object.kind).not.toThrow();
    const container = byKind(result.objects, 'Deployment').spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'BERTH_MODEL_MEMORY', value: String(3 * gib) });
    // 3 GiB of versions plus 384 MiB the server holds besides them; the limit 1 GiB above.
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: `${3 * 1024 + 384}Mi` }, limits: { memory: `${4 * 1024 + 384}Mi` } });
    expect(loadConfig({ env: { BERTH_MODEL_MEMORY: container.env.find((e: { name: string }) => e.name === 'BERTH_MODEL_MEMORY').value } }).runtime.modelMemory).toBe(3 * gib);

    // A small budget keeps the usual floor; given quantities are kept when they hold the budget.
    const small = byKind((await manifests({ config: loadConfig({ env: { BERTH_MODEL_MEMORY: String(64 * 1024 ** 2) } }) })).objects, 'Deployment');
    expect(small.spec.template.spec.containers[0].resources.requests.memory).toBe('1024Mi');
    const given = await manifests({ config: loadConfig({ env: { BERTH_MODEL_MEMORY: String(gib) } }), memory: '2Gi', memoryLimit: '3Gi' });
    expect(byKind(given.objects, 'Deployment').spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });

    const kserve = await manifests({ config: loadConfig({ env: { BERTH_MODEL_MEMORY: String(gib), BERTH_DRAIN_DELAY_MS: '2000' } }), kserve: true, storageUris: ['oci://registry.example/loans-modelcar:3'] });
    const runtime = byKind(kserve.objects, 'ServingRuntime').spec.containers[0];
    expect(runtime.env).toContainEqual({ name: 'BERTH_MODEL_MEMORY', value: String(gib) });
    expect(runtime.env).toContainEqual({ name: 'BERTH_DRAIN_DELAY_MS', value: '2000' });
    expect(runtime.resources.requests.memory).toBe('1408Mi');
    expect(byKind(kserve.objects, 'InferenceService').spec.predictor.terminationGracePeriodSeconds).toBe(5 + 2 + 30 + 10);
  });

  it.each([
    [{ memory: '1Gi' }, '--memory'],
    [{ memoryLimit: '1100Mi' }, '--memory-limit'],
  ])('refuses %j below a 1 GiB model memory budget plus the baseline, naming %s', async (options, option) => {
    const error = await manifests({ config: loadConfig({ env: { BERTH_MODEL_MEMORY: String(1024 ** 3) } }), ...options }).catch((e: unknown) => e);
    expect(Errors.K8S_OPTION_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toContain(option);
    expect((error as Error).message).toContain('1408Mi');
  });

  it('scales on CPU and on requests in flight per replica, and keeps one replica up in disruptions', async () => {
    const result = await manifests({ replicas: 3, maxReplicas: 12, targetCpuPercent: 60, targetInFlight: 16 });
    const hpa = byKind(result.objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 12, scaleTargetRef: { kind: 'Deployment', name: 'berth-loans' } });
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Pods', pods: { metric: { name: 'berth_requests_in_flight' }, target: { type: 'AverageValue', averageValue: '16' } } },
    ]);
    expect(byKind(result.objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(byKind(result.objects, 'Deployment').spec.replicas).toBe(3);
    const monitor = byKind(result.objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s' }]);
    expect(monitor.spec.selector.matchLabels).toEqual(byKind(result.objects, 'Service').spec.selector);
    const withoutInFlight = byKind((await manifests({ targetInFlight: 0 })).objects, 'HorizontalPodAutoscaler');
    expect(withoutInFlight.spec.metrics).toHaveLength(1);
  });

  it('gives Prometheus the Secret\'s metrics-token when /metrics needs a credential (inferenceAuth)', async () => {
    const configFile = { server: { inferenceAuth: true } };
    const result = await manifests({ configFile, config: buildConfig(configFile) });
    const monitor = byKind(result.objects, 'ServiceMonitor');
    expect(() => validate(monitor as KubernetesObject)).not.toThrow();
    expect(monitor.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '15s', authorization: { type: 'Bearer', credentials: { name: 'berth-loans', key: 'metrics-token' } } },
    ]);
    expect(JSON.parse(byKind(result.objects, 'ConfigMap').data['config.json'])).toMatchObject({ server: { inferenceAuth: true } });
    expect(result.secret.keys).toEqual(['admin-token', 'metrics-token']);
    expect((await manifests()).secret.keys).toEqual(['admin-token']);
  });

  it('puts the config file in the ConfigMap without its secrets', async () => {
    const configFile = { server: { adminToken: 'not-in-a-configmap', bodyLimit: 1000 }, batching: { maxBatchSize: 8 }, monitor: { webhooks: ['https://hooks.example/x'], sampleRate: 0.5 } };
    const result = await manifests({ configFile, config: buildConfig(configFile) });
    const text = byKind(result.objects, 'ConfigMap').data['config.json'];
    expect(text).not.toContain('not-in-a-configmap');
    expect(text).not.toContain('hooks.example');
    expect(JSON.parse(text)).toMatchObject({ server: { bodyLimit: 1000 }, batching: { maxBatchSize: 8 }, monitor: { sampleRate: 0.5 }, store: { home: '/tmp/berth' } });
    expect(result.leftOut).toEqual(['server.adminToken', 'monitor.webhooks']);
    const annotation = byKind(result.objects, 'Deployment').spec.template.metadata.annotations['berth.dev/config-sha256'];
    expect(annotation).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('berth k8s: shared mode', () => {
  it('serves the registry in PostgreSQL with blobs in S3; the database URL stays in the Secret', async () => {
    const config = loadConfig({
      env: { BERTH_S3_ENDPOINT: 'http://minio.storage:9000', BERTH_S3_FORCE_PATH_STYLE: 'true' },
      flags: { store: { databaseUrl: 'postgres://berth:hunter2@db/berth', blobs: 's3://models/berth' } },
    });
    const result = await manifests({ config, references: ['loans@production', 'fraud'] });
    expect(result.mode).toBe('shared');
    for (const object of result.objects) expect(() => validate(object), object.kind).not.toThrow();
    const container = byKind(result.objects, 'Deployment').spec.template.spec.containers[0];
    expect(container.args).toEqual(['serve']);
    expect(container.env).toContainEqual({ name: 'BERTH_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'berth-loans', key: 'database-url' } } });
    expect(container.env).toContainEqual({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'berth-loans', key: 'aws-access-key-id', optional: true } } });
    expect(JSON.stringify(result.objects)).not.toContain('hunter2');
    const served = JSON.parse(byKind(result.objects, 'ConfigMap').data['config.json']);
    expect(served.store).toEqual({ home: '/tmp/berth', blobs: 's3://models/berth', s3Endpoint: 'http://minio.storage:9000', s3ForcePathStyle: true });
    expect(result.secret).toEqual({ name: 'berth-loans', keys: ['admin-token', 'database-url'] });
  });

  it.each(['http://127.0.0.1:9000', 'http://localhost:9000', 'http://[::1]:9000', 'http://[::ffff:127.0.0.1]:9000', 'http://0.0.0.0:9000', 'http://minio.localhost:9000'])("refuses this machine's S3 endpoint %s, which a pod cannot reach", async (endpoint) => {
    const config = loadConfig({ env: { BERTH_S3_ENDPOINT: endpoint }, flags: { store: { databaseUrl: 'postgres://db/berth', blobs: 's3://models/berth' } } });
    const error = await manifests({ config }).catch((e: unknown) => e);
    expect(Errors.K8S_OPTION_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/BERTH_S3_ENDPOINT is invalid: .* names this machine .*set BERTH_S3_ENDPOINT \(or store\.s3Endpoint in --config\) to the endpoint the pods reach/);
  });

  it('exits 1 from the binary with a loopback BERTH_S3_ENDPOINT, writing nothing', async () => {
    const dir = join(work, 'loopback-s3');
    const refused = await runBerth(['k8s', 'loans', '--image', 'registry.example/berth:1', '--database', 'postgres://db/berth', '--blobs', 's3://models/berth', '-o', dir], {
      BERTH_S3_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/BERTH_S3_ENDPOINT.*loopback.*\[BERTH_K8S_OPTION_INVALID\]/s);
    expect(refused.stdout).toBe('');
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    [{ store: { databaseUrl: 'postgres://db/berth' } }, '--blobs'],
    [{ store: { blobs: 's3://models/berth' } }, '--database'],
    [{ store: { databaseUrl: 'sqlite:berth.db', blobs: 's3://models/berth' } }, '--database'],
    [{ store: { databaseUrl: 'postgres://db/berth', blobs: '/srv/blobs' } }, '--blobs'],
  ])('refuses an incomplete shared store (%j) naming %s', async (flags, option) => {
    const error = await manifests({ config: loadConfig({ env: {}, flags }) }).catch((e: unknown) => e);
    expect(Errors.K8S_OPTION_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toContain(option);
  });
});

describe('berth k8s --kserve', () => {
  it('writes a ServingRuntime for onnx over the Open Inference Protocol, and an InferenceService per model', async () => {
    const result = await manifests({
      references: ['loans@production', 'Fraud_Model:2'],
      kserve: true,
      storageUris: ['oci://registry.example/loans-modelcar:3', 's3://models/fraud/2'],
      image: 'registry.example/berth:1',
    });
    expect(result.mode).toBe('kserve');
    const runtime = byKind(result.objects, 'ServingRuntime');
    expect(runtime.apiVersion).toBe('serving.kserve.io/v1alpha1');
    expect(runtime.metadata.name).toBe('berth');
    expect(runtime.spec).toMatchObject({ supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 1 }], protocolVersions: ['v2'], multiModel: false });
    const [container] = runtime.spec.containers;
    // The containers and volumes of a ServingRuntime are core/v1 ones: their schemas apply.
    expect(() => new Container(structuredClone(container)).validate()).not.toThrow();
    for (const volume of runtime.spec.volumes) expect(() => new Volume(structuredClone(volume)).validate()).not.toThrow();
    expect(container).toMatchObject({ name: 'kserve-container', image: 'registry.example/berth:1', args: ['serve', '{{.Name}}=/mnt/models'] });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/v2/health/live');

    const services = result.objects.filter((o) => o.kind === 'InferenceService') as Manifest[];
    expect(services.map((s) => s.metadata.name)).toEqual(['loans', 'fraud-model']);
    expect(services[0]!.apiVersion).toBe('serving.kserve.io/v1beta1');
    expect(services[0]!.spec.predictor.model).toEqual({ modelFormat: { name: 'onnx' }, runtime: 'berth', protocolVersion: 'v2', storageUri: 'oci://registry.example/loans-modelcar:3' });
    expect(services[1]!.spec.predictor.model.storageUri).toBe('s3://models/fraud/2');
    expect(services[0]!.spec.predictor.terminationGracePeriodSeconds).toBe(50);
  });

  it("serves the model under the InferenceService's name, which KServe passes as {{.Name}}", async () => {
    const home = join(work, 'kserve-home');
    const model = writeIdentityModel(work, 'FP32');
    expect((await runBerth(['register', model, '--name', 'Fraud_Model', '--home', home])).code).toBe(0);
    const folder = join(work, 'kserve-models');
    const built = await runBerth(['build', 'Fraud_Model', '--folder', folder, '--home', home]);
    expect(built.code, built.stderr).toBe(0);
    const result = await manifests({ references: ['Fraud_Model'], kserve: true, storageUris: ['s3://models/fraud'] });
    const service = byKind(result.objects, 'InferenceService');
    expect(service.metadata.name).toBe('fraud-model');
    // What KServe runs: the ServingRuntime's args with the InferenceService's metadata put in, and
    // the storage URI's files at /mnt/models.
    const args = (byKind(result.objects, 'ServingRuntime').spec.containers[0].args as string[]).map((arg) =>
      arg.replaceAll('{{.Name}}', service.metadata.name).replaceAll('/mnt/models', folder),
    );
    expect(args[0]).toBe('serve');
    const server = await startBerthServe([...args.slice(1), '--port', '0', '--log-level', 'warn'], { BERTH_HOME: join(work, 'kserve-serve-home') });
    try {
      // A KServe client calls the model by the InferenceService's name.
      const response = await fetch(`${server.url}/v2/models/fraud-model/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ model_name: 'fraud-model', model_version: '1', outputs: [{ data: [1, 2, 3] }] });
    } finally {
      server.child.kill('SIGKILL');
    }

    // A name serves a folder of one model only: which of several would it be?
    expect((await runBerth(['register', model, '--name', 'other', '--home', home])).code).toBe(0);
    const both = join(work, 'kserve-both');
    expect((await runBerth(['build', 'Fraud_Model', '--model', 'other', '--folder', both, '--home', home])).code).toBe(0);
    const refused = await runBerth(['serve', `fraud-model=${both}`, '--port', '0', '--home', join(work, 'kserve-serve-home')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/holds 2 models \(Fraud_Model, other\).*\[BERTH_MODEL_FOLDER_INVALID\]/s);
  }, 60_000);

  it.each([
    [[], /one per model/],
    [['https://example.com/model'], /neither s3/],
  ])('refuses storage URIs %j', async (storageUris, reason) => {
    const error = await manifests({ kserve: true, storageUris }).catch((e: unknown) => e);
    expect(Errors.K8S_OPTION_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('berth k8s: bad options', () => {
  it.each([
    [{ image: 'has spaces:1' }, '--image'],
    [{ cpu: 'lots' }, '--cpu'],
    [{ memory: '1 GB' }, '--memory'],
    [{ name: 'Not_A_Name' }, '--name'],
    [{ replicas: 5, maxReplicas: 2 }, '--max-replicas'],
    [{ replicas: 0 }, '--replicas'],
    [{ references: [] as string[] }, '<model-ref>'],
    [{ storageUris: ['oci://x/y:1'] }, '--storage-uri'],
  ])('refuses %j naming %s', async (options, option) => {
    const error = await manifests(options).catch((e: unknown) => e);
    expect(Errors.K8S_OPTION_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toContain(option);
  });

  it('refuses a model reference that is not one', async () => {
    const error = await manifests({ references: ['loans:x'] }).catch((e: unknown) => e);
    expect(Errors.REGISTRY_REFERENCE_INVALID.is(error)).toBe(true);
  });
});

describe('berth k8s: files', () => {
  it('writes one YAML file per object and a kustomization.yaml naming them', async () => {
    const dir = join(work, 'embedded');
    const result = await manifests({ output: dir });
    const names = readdirSync(dir).sort();
    expect(names).toEqual(
      [
        'configmap-berth-loans-config.yaml',
        'deployment-berth-loans.yaml',
        'horizontalpodautoscaler-berth-loans.yaml',
        'kustomization.yaml',
        'poddisruptionbudget-berth-loans.yaml',
        'service-berth-loans.yaml',
        'servicemonitor-berth-loans.yaml',
      ].sort(),
    );
    for (const object of result.objects) {
      const file = join(dir, `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`);
      expect(parse(readFileSync(file, 'utf8'))).toEqual(object);
    }
    expect(parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: names.filter((n) => n !== 'kustomization.yaml').sort((a, b) => result.files.findIndex((f) => f.endsWith(a)) - result.files.findIndex((f) => f.endsWith(b))),
    });
  });

  it.skipIf(KUBECTL_SKIP !== undefined)(`renders with kubectl kustomize${KUBECTL_SKIP ? ` (${KUBECTL_SKIP})` : ''}`, async () => {
    for (const [mode, options] of [
      ['embedded', {}],
      ['shared', { config: loadConfig({ env: {}, flags: { store: { databaseUrl: 'postgres://db/berth', blobs: 's3://models/berth' } } }) }],
      ['kserve', { kserve: true, storageUris: ['oci://registry.example/loans-modelcar:3'] }],
    ] as const) {
      const dir = join(work, `render-${mode}`);
      const result = await manifests({ ...options, output: dir, namespace: 'serving' });
      const rendered = spawnSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8' });
      expect(rendered.status, `${mode}: ${rendered.stderr}`).toBe(0);
      const documents = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as KubernetesObject);
      expect(documents.map((d) => `${d.kind}/${d.metadata.name}`).sort(), mode).toEqual(result.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
      for (const document of documents) expect(document.metadata.namespace).toBe('serving');
    }
  });

  it('prints one YAML stream from the binary, and exits 1 with a catalogue error on bad options', async () => {
    const printed = await runBerth(['k8s', 'loans@production', '--image', 'registry.example/loans:3']);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    const documents = parseAllDocuments(printed.stdout).map((d) => d.toJS() as KubernetesObject);
    expect(documents.map((d) => d.kind)).toEqual(['ConfigMap', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ServiceMonitor']);
    for (const document of documents) expect(() => validate(document), document.kind).not.toThrow();
    const budgeted = await runBerth(['k8s', 'loans', '--image', 'registry.example/loans:3', '--model-memory', String(2 * 1024 ** 3), '--drain-delay-ms', '1000']);
    expect(budgeted.code).toBe(0);
    const deployment = parseAllDocuments(budgeted.stdout).map((d) => d.toJS() as Manifest).find((d) => d.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'BERTH_MODEL_MEMORY', value: String(2 * 1024 ** 3) });
    expect(deployment.spec.template.spec.containers[0].resources.requests.memory).toBe('2432Mi');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 1 + 30 + 10);
    const bad = await runBerth(['k8s', 'loans', '--image', 'registry.example/loans:3', '--cpu', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--cpu.*\[BERTH_K8S_OPTION_INVALID\]/s);
  });
});

function writeJson(name: string, value: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}
