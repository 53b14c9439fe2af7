/** `berth build <model-ref>...`: an OCI image serving registered versions, written without a container engine. */
import { join } from 'node:path';
import { type BuildImageResult, type ImageBase, buildImage } from '../../app/image/build-image.js';
import { type ModelFolderResult, writeModelFolder } from '../../app/image/write-model-folder.js';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth build`. */
export interface BuildCommandOptions {
  readonly config: Config;
  /** `name`, `name@alias` or `name:version`, one or more. */
  readonly references: readonly string[];
  /** `host`, `oci:<dir or tar>` or an image reference; default {@link defaultImageBase}. */
  readonly base?: string | undefined;
  readonly modelcar?: boolean | undefined;
  readonly output?: string | undefined;
  readonly tag?: string | undefined;
  readonly push?: string | undefined;
  readonly insecureRegistry?: boolean | undefined;
  /** Docker's config.json for registry logins. */
  readonly dockerConfig?: string | undefined;
  /** Layers kept between builds; default BERTH_HOME/cache/images. */
  readonly cacheDir?: string | undefined;
  /** The Berth package to put in the image. */
  readonly packageRoot: string;
  readonly berthVersion: string;
  readonly onProgress?: (step: string) => void;
}

/**
 * The base when none is given: the official slim (Debian, glibc) Node image of this Node's major
 * version, whose ABI Berth's native modules were built for.
 */
export function defaultImageBase(nodeVersion: string): string {
  return `docker.io/library/node:${nodeVersion.replace(/^v/, '').split('.')[0]}-slim`;
}

/** Parses `--base`: `host`, `oci:<path>`, or an image reference to pull. */
export function parseImageBase(text: string): ImageBase {
  if (text === 'host') return { kind: 'host' };
  if (text.startsWith('oci:')) {
    if (text.length === 4) throw Errors.IMAGE_OPTION_INVALID.create('--base oci: needs a path: oci:<layout folder or archive>');
    return { kind: 'oci', path: text.slice(4) };
  }
  return { kind: 'registry', reference: text };
}

/** Builds the image; see app/image/build-image.ts. */
export async function buildCommand(options: BuildCommandOptions): Promise<BuildImageResult> {
  const base = parseImageBase(options.base ?? defaultImageBase(process.versions.node));
  return withRegistry(options.config, undefined, (registry) =>
    buildImage({
      registry,
      references: options.references,
      base,
      modelcar: options.modelcar ?? false,
      output: options.output,
      tag: options.tag,
      push: options.push,
      insecureRegistry: options.insecureRegistry ?? false,
      dockerConfig: options.dockerConfig,
      cacheDir: options.cacheDir ?? join(options.config.store.home, 'cache', 'images'),
      packageRoot: options.packageRoot,
      berthVersion: options.berthVersion,
      host: { nodeBinary: process.execPath, nodeVersion: process.versions.node, platform: process.platform, arch: process.arch },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }),
  );
}

/** `berth build --folder <dir>`: the models folder alone, written to `folder`; see app/image/write-model-folder.ts. */
export async function buildFolderCommand(options: { readonly config: Config; readonly references: readonly string[]; readonly folder: string }): Promise<ModelFolderResult> {
  return withRegistry(options.config, undefined, (registry) => writeModelFolder({ registry, references: options.references, folder: options.folder }));
}
