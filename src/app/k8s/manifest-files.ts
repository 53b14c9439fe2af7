/**
 * Kubernetes objects as YAML: one file per object plus a kustomization.yaml that lists them (so
 * `kubectl kustomize` and `kubectl apply -k` render the folder), or one multi-document stream.
 */
import { stringify } from 'yaml';
import type { KubernetesObject } from './kubernetes-object.js';

/** A file to write: its name in the output folder and its text. */
export interface ManifestFile {
  readonly path: string;
  readonly text: string;
}

/** The file name of an object: `<kind>-<name>.yaml` in lower case, e.g. `deployment-berth-loans.yaml`. */
export function manifestFileName(object: KubernetesObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

function toYaml(object: unknown): string {
  // Plain YAML 1.2 without anchors or line folding, so that any Kubernetes tool reads it back as written.
  return stringify(object, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** One YAML file per object, then kustomization.yaml naming them all. */
export function manifestFiles(objects: readonly KubernetesObject[]): ManifestFile[] {
  const files = objects.map((object) => ({ path: manifestFileName(object), text: toYaml(object) }));
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files.map((f) => f.path) };
  return [...files, { path: 'kustomization.yaml', text: toYaml(kustomization) }];
}

/** All objects as one multi-document YAML stream, for `kubectl apply -f -`. */
export function manifestStream(objects: readonly KubernetesObject[]): string {
  return objects.map((object) => toYaml(object)).join('---\n');
}
