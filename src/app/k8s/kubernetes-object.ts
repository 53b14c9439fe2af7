/**
 * What every manifest `berth k8s` writes shares: the object shape, Berth's labels, names that
 * Kubernetes accepts, and the facts about the server image that the manifests rely on.
 */
import { Errors } from '../../core/errors.js';
import { IMAGE_PORT, IMAGE_WRITABLE_DIR } from '../image/build-image.js';
import { IMAGE_USER } from '../image/host-runtime.js';

/** Object metadata, as far as Berth writes it. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Kubernetes object: plain data, ready for YAML. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/**
 * The server image `berth build` writes, as the manifests rely on it: the port it listens on, the
 * user it runs as, and the one writable folder under a read-only root, which holds BERTH_HOME.
 */
export const SERVER_IMAGE = {
  port: IMAGE_PORT,
  uid: IMAGE_USER.uid,
  gid: IMAGE_USER.gid,
  writable: IMAGE_WRITABLE_DIR,
  home: `${IMAGE_WRITABLE_DIR}/berth`,
} as const;

/**
 * The security context of the server's container wherever it runs (a Deployment or a KServe
 * ServingRuntime): the image's non-root user, a read-only root, no privilege, no capabilities.
 */
export function serverSecurityContext() {
  return {
    runAsNonRoot: true,
    runAsUser: SERVER_IMAGE.uid,
    runAsGroup: SERVER_IMAGE.gid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** The recommended labels (app.kubernetes.io/*) of every object of one deployment. */
export function kubernetesLabels(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'berth',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': 'server',
    'app.kubernetes.io/managed-by': 'berth',
  };
}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A model name as a DNS-1123 label (lower case, `-` for anything else), for object names.
 * Throws BERTH_K8S_OPTION_INVALID when nothing usable is left.
 */
export function kubernetesName(name: string, what = 'name'): string {
  const converted = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!LABEL.test(converted)) throw Errors.K8S_OPTION_INVALID.create(what, `${JSON.stringify(name)} gives no usable Kubernetes name (lower-case letters, digits and '-', at most 63)`);
  return converted;
}

/** Refuses a name that is not already a DNS-1123 label. */
export function checkKubernetesName(name: string, what: string): string {
  if (!LABEL.test(name)) throw Errors.K8S_OPTION_INVALID.create(what, `${JSON.stringify(name)} is not a Kubernetes name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`);
  return name;
}
