/** `berth build <model-ref>...`: an OCI image serving registered versions, written without a container engine. */
import { join } from 'node:path';
import { type BuildImageResult, type ImageBase, buildImage } from '../../app/image/build-image.js';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth build`. */
export interface BuildCommandOptions {
  readonly config: Config;
  /** `name`, `name@alias` or `name:version`, one or more. */
  readonly references: readonly string[];
  /** `host`, `oci:<dir or tar>`; default `host`. */
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

/** Parses `--base`: `host` or `oci:<path>`. Pulling a base by reference is not built yet. */
export function parseImageBase(text: string | undefined): ImageBase {
  if (text === undefined || text === 'host') return { kind: 'host' };
  if (text.startsWith('oci:') && text.length > 4) return { kind: 'oci', path: text.slice(4) };
  throw Errors.IMAGE_OPTION_INVALID.create(
    `--base ${text}: pulling a base image from a registry is not supported yet; use --base host (Linux x64) or --base oci:<layout folder or archive> (e.g. from podman save --format oci-archive)`,
  );
}

/** Builds the image; see app/image/build-image.ts. */
export async function buildCommand(options: BuildCommandOptions): Promise<BuildImageResult> {
  const base = parseImageBase(options.base);
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
