/**
 * `berth export <model>[:version | @alias] [-o file.berth]`: write a version as one archive; with
 * `--target web` or `--target node`, as a self-contained folder that runs it without a server.
 */
import { EXPORT_TARGETS, type ExportTarget, exportTargetFolder } from '../../app/export-target.js';
import type { Config } from '../../core/config.js';
import { parseModelRef } from '../../core/model-ref.js';
import { withRegistry } from '../with-registry.js';

export { EXPORT_TARGETS };

/** Options of `berth export`. */
export interface ExportCommandOptions {
  readonly config: Config;
  /** `model` (its default version: production, else the latest), `model:version` or `model@alias`. */
  readonly reference: string;
  /** `archive` (default): a `.berth` file; `web` or `node`: a folder (see app/export-target.ts). */
  readonly target?: (typeof EXPORT_TARGETS)[number] | undefined;
  /** The archive or folder to write; default `<model>-<version>.berth`, or `<model>-<version>-<target>/`. */
  readonly output?: string | undefined;
  /** Replace an existing file or folder. */
  readonly overwrite?: boolean | undefined;
}

/** What `berth export` wrote. */
export interface ExportCommandResult {
  readonly model: string;
  readonly version: number;
  readonly digest: string;
  readonly target: (typeof EXPORT_TARGETS)[number];
  /** The archive, for the `archive` target. */
  readonly archive?: string;
  /** The folder, for `web` and `node`. */
  readonly dir?: string;
  /** Files written in the folder, for `web` and `node`. */
  readonly files?: number;
  readonly bytes: number;
}

/** Exports a version as a `.berth` archive, or as the folder of a target. */
export async function exportCommand(options: ExportCommandOptions): Promise<ExportCommandResult> {
  const ref = parseModelRef(options.reference);
  const target = options.target ?? 'archive';
  return withRegistry(options.config, undefined, async (registry) => {
    const version = await registry.resolve(ref);
    const exact = { model: version.model, kind: 'version', version: version.version } as const;
    const common = { model: version.model, version: version.version, digest: version.digest, target };
    if (target === 'archive') {
      const output = options.output ?? `${version.model}-${version.version}.berth`;
      const { archive, bytes } = await registry.exportVersion(exact, output, { overwrite: options.overwrite ?? false });
      return { ...common, archive, bytes };
    }
    const { bundle } = await registry.openBundle(exact);
    const folder = await exportTargetFolder(bundle, {
      target: target satisfies ExportTarget,
      outDir: options.output ?? `${version.model}-${version.version}-${target}`,
      overwrite: options.overwrite ?? false,
      label: `${version.model}:${version.version}`,
    });
    return { ...common, dir: folder.dir, files: folder.files.length, bytes: folder.bytes };
  });
}
