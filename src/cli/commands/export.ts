/** `berth export <model>[:version | @alias] [-o file.berth]`: write a version as one archive. */
import type { Config } from '../../core/config.js';
import { parseModelRef } from '../../core/model-ref.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth export`. */
export interface ExportCommandOptions {
  readonly config: Config;
  /** `model` (its default version: production, else the latest), `model:version` or `model@alias`. */
  readonly reference: string;
  /** The archive to write; default `<model>-<version>.berth` in the current folder. */
  readonly output?: string | undefined;
  /** Replace an existing file. */
  readonly overwrite?: boolean | undefined;
}

/** What `berth export` wrote. */
export interface ExportCommandResult {
  readonly model: string;
  readonly version: number;
  readonly digest: string;
  readonly archive: string;
  readonly bytes: number;
}

/** Exports a version as a `.berth` archive. */
export async function exportCommand(options: ExportCommandOptions): Promise<ExportCommandResult> {
  const ref = parseModelRef(options.reference);
  return withRegistry(options.config, undefined, async (registry) => {
    const version = await registry.resolve(ref);
    const output = options.output ?? `${version.model}-${version.version}.berth`;
    const { archive, bytes } = await registry.exportVersion({ model: version.model, kind: 'version', version: version.version }, output, { overwrite: options.overwrite ?? false });
    return { model: version.model, version: version.version, digest: version.digest, archive, bytes };
  });
}
