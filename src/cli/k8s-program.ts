/**
 * `berth k8s` on the command line: parses its arguments with commander, builds the configuration
 * (the drain deadline, and the shared store of `--database`/`--blobs`), calls the command and
 * prints what it wrote. main.ts adds it to the program and handles errors and exit codes.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ConfigInput } from '../core/config.js';
import { Errors } from '../core/errors.js';
import { k8sCommand } from './commands/k8s.js';
import { loadConfig } from './load-config.js';
import { collect, wholeNumber } from './option-parsers.js';

/** What `berth k8s` needs from the entry point. */
export interface K8sProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes text to standard output. */
  readonly print: (text: string) => void;
}

interface K8sFlags {
  readonly image: string;
  readonly out?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly replicas?: number;
  readonly maxReplicas?: number;
  readonly cpu?: string;
  readonly memory?: string;
  readonly memoryLimit?: string;
  readonly targetCpu?: number;
  readonly targetInFlight?: number;
  readonly secret?: string;
  readonly database?: string;
  readonly blobs?: string;
  readonly config?: string;
  readonly kserve?: boolean;
  readonly storageUri?: string[];
  readonly drainDelayMs?: number;
  readonly modelMemory?: number;
}

/** Registers `berth k8s` on `program`. */
export function addK8sCommands(program: Command, context: K8sProgramContext): void {
  program
    .command('k8s')
    .description(
      'Write Kubernetes manifests for Berth replicas (Deployment, Service, HPA, PodDisruptionBudget, ConfigMap, ServiceMonitor, kustomization.yaml): ' +
        'embedded (the versions in a berth build image), or shared with --database/--blobs (PostgreSQL registry, S3 blobs); ' +
        'with --kserve, a KServe ServingRuntime and InferenceServices.',
    )
    .argument('<model-ref...>', 'models served: name, name@alias or name:version')
    .requiredOption('--image <ref>', 'the server image berth build made, e.g. registry.example/loans:3')
    .option('-o, --out <dir>', 'folder for the YAML files (default: one YAML stream on stdout)')
    .option('--name <name>', 'name of the objects (default berth-<first model>; with --kserve, of the ServingRuntime, default berth)')
    .option('--namespace <ns>', 'namespace of the objects (default: the one kubectl uses)')
    .option('--replicas <n>', 'replicas at start, and the autoscaler floor (default 2)', wholeNumber)
    .option('--max-replicas <n>', 'autoscaler ceiling (default 10)', wholeNumber)
    .option('--cpu <quantity>', 'CPU request per replica (default 1)')
    .option('--memory <quantity>', 'memory request per replica (default 1Gi)')
    .option('--memory-limit <quantity>', 'memory limit per replica (default 2Gi, or --memory)')
    .option(
      '--model-memory <bytes>',
      'memory budget of each replica\'s loaded versions (env BERTH_MODEL_MEMORY); the memory request and limit default to at least the budget plus 384Mi',
      wholeNumber,
    )
    .option('--drain-delay-ms <ms>', 'after SIGTERM, how long a replica keeps serving with readiness false before it drains (env BERTH_DRAIN_DELAY_MS; default 5000)', wholeNumber)
    .option('--target-cpu <percent>', 'average CPU use the autoscaler keeps, in percent of the request (default 70)', wholeNumber)
    .option('--target-in-flight <n>', 'inference requests in flight per replica the autoscaler keeps (berth_requests_in_flight; default 8, 0 leaves it out)', wholeNumber)
    .option('--secret <name>', 'the Secret with admin-token (and database-url) (default: --name)')
    .option('--database <url>', 'shared mode: postgres://… registry (env BERTH_DATABASE_URL); goes into the Secret, never the manifests')
    .option('--blobs <url>', 'shared mode: s3://bucket/prefix blob store (env BERTH_BLOBS; with BERTH_S3_ENDPOINT, BERTH_S3_FORCE_PATH_STYLE)')
    .option('--config <file>', 'JSON config file for the ConfigMap (env BERTH_CONFIG); secrets in it are left out')
    .option('--kserve', 'write a KServe ServingRuntime (onnx, Open Inference Protocol v2) and an InferenceService per model')
    .option('--storage-uri <uri>', 'with --kserve: s3://… or oci://… (a berth build --modelcar image) of each model, in order; repeat', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  berth k8s loans@production --image registry.example/loans:3 -o k8s/ && kubectl apply -k k8s/\n' +
        '  berth k8s loans --image registry.example/berth:1 --database postgres://db/berth --blobs s3://models/berth -o k8s/\n' +
        '  berth k8s loans --image registry.example/berth:1 --kserve --storage-uri oci://registry.example/loans-modelcar:3\n',
    )
    .action(async (references: string[], opts: K8sFlags) => {
      const store: Record<string, unknown> = {};
      if (opts.database !== undefined) store.databaseUrl = opts.database;
      if (opts.blobs !== undefined) store.blobs = opts.blobs;
      const file = opts.config ?? context.env.BERTH_CONFIG;
      const server = opts.drainDelayMs === undefined ? {} : { drainDelayMs: opts.drainDelayMs };
      const runtime = opts.modelMemory === undefined ? {} : { modelMemory: opts.modelMemory };
      const config = loadConfig({ file, env: context.env, flags: { store, server, runtime } as ConfigInput });
      const result = await k8sCommand({
        references,
        image: opts.image,
        output: opts.out,
        config,
        configFile: file === undefined ? undefined : readConfigFile(file),
        name: opts.name,
        namespace: opts.namespace,
        replicas: opts.replicas,
        maxReplicas: opts.maxReplicas,
        cpu: opts.cpu,
        memory: opts.memory,
        memoryLimit: opts.memoryLimit,
        targetCpuPercent: opts.targetCpu,
        targetInFlight: opts.targetInFlight,
        secretName: opts.secret,
        kserve: opts.kserve,
        storageUris: opts.storageUri,
      });
      if (result.stream !== undefined) {
        context.print(result.stream.trimEnd());
        return;
      }
      const literals = result.secret.keys.map((key) => `--from-literal=${key}=…`).join(' ');
      context.print(
        [
          `Wrote ${result.files.length} files (${result.mode}) to ${resolve(opts.out ?? '.')}:`,
          ...result.files.map((f) => `  ${basename(f)}`),
          '',
          `Create the Secret first: kubectl create secret generic ${result.secret.name} ${literals}`,
          ...(result.leftOut.length ? [`Left out of the ConfigMap as secret: ${result.leftOut.join(', ')}.`] : []),
          `Then: kubectl apply -k ${opts.out}`,
        ].join('\n'),
      );
    });
}

/** The config file's JSON as given (loadConfig has already validated it). */
function readConfigFile(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw Errors.CONFIG_INVALID.create(`cannot read config file ${file}: ${(error as Error).message}`);
  }
}
