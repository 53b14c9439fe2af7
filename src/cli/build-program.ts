/**
 * `berth build` on the command line: parses its arguments, builds the configuration, calls the
 * command function and prints what was built (or JSON for scripts). main.ts adds it to the
 * program and handles errors and exit codes.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { BuildImageResult } from '../app/image/build-image.js';
import { buildCommand, buildFolderCommand, defaultImageBase } from './commands/build.js';
import { Errors } from '../core/errors.js';
import { loadStoreConfig } from './load-config.js';
import { type StoreFlags, storeOptions } from './store-options.js';
import { collect } from './option-parsers.js';
import { berthPackageRoot, berthVersion } from './package-info.js';
import { formatBytes, plainTable, shortDigest } from './registry-output.js';

/** What `berth build` needs from the entry point. */
export interface BuildProgramContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (text: string) => void;
  /** Progress lines (standard error). */
  readonly progress: (text: string) => void;
}

interface BuildFlags extends StoreFlags {
  readonly model?: string[];
  readonly base?: string;
  readonly modelcar?: boolean;
  readonly output?: string;
  readonly tag?: string;
  readonly push?: string;
  readonly insecureRegistry?: boolean;
  readonly cacheDir?: string;
  readonly folder?: string;
}

/** Registers `berth build` on `program`. */
export function addBuildCommand(program: Command, context: BuildProgramContext): void {
  const command = program
    .command('build')
    .description(
      'Build an OCI image that serves registered versions (berth serve semantics, bundles baked in and verified at start, ' +
        'no database needed), without Docker or Podman. Runs as a non-root user on 0.0.0.0:8080 with a read-only root filesystem.',
    )
    .argument('[model-ref...]', 'name (production, else latest), name@alias or name:version')
    .option('--model <model-ref>', 'another version to serve; repeatable', collect)
    .option('--base <base>', `an image to pull (default ${defaultImageBase(process.versions.node)}); host: this machine's Node and libraries (Linux x64 only, no network); oci:<dir or tar>: a local OCI image layout`)
    .option('--modelcar', 'a model-only image (bundles under /models) for KServe oci:// storage')
    .option('-o, --output <image.tar>', 'write an OCI archive (podman load / docker load)')
    .option('--tag <name:tag>', 'the image name inside the archive (default <model>:<version>)')
    .option('--push <registry/repository:tag>', 'push over the registry API (credentials from Docker\'s config.json)')
    .option('--insecure-registry', 'push and pull over plain HTTP (a registry on loopback)')
    .option('--cache-dir <dir>', 'layers kept between builds (default BERTH_HOME/cache/images)')
    .option('--folder <dir>', "no image: write the models folder (a modelcar's /models) to a new or empty folder, to copy to s3:// for KServe or serve with berth serve <dir>");
  storeOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  berth build loans@production -o loans.tar && podman load -i loans.tar\n' +
        '  berth build loans:3 --push registry.example.com/ml/loans:3\n' +
        '  berth build loans@production --modelcar --push registry.example.com/ml/loans-model:3\n' +
        '  berth build loans@production --folder loans-models && aws s3 sync loans-models s3://models/loans\n' +
        '\nRun it: podman run --read-only -p 8080:8080 -e BERTH_ADMIN_TOKEN=… <image>\n',
    )
    .action(async (references: string[], flags: BuildFlags) => {
      const config = loadStoreConfig(flags, context.env);
      if (flags.folder !== undefined) {
        const imageOnly = (['output', 'push', 'base', 'tag', 'insecureRegistry', 'cacheDir'] as const).filter((key) => flags[key] !== undefined);
        if (imageOnly.length > 0) throw Errors.IMAGE_OPTION_INVALID.create(`--folder writes a folder, not an image; leave out ${imageOnly.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
        const written = await buildFolderCommand({ config, references: [...references, ...(flags.model ?? [])], folder: flags.folder });
        context.print(
          flags.json
            ? JSON.stringify(written, null, 2)
            : `Wrote the models folder ${written.folder} (${written.versions.map((v) => `${v.model}:${v.version}`).join(', ')}; ${formatBytes(written.bytes)}).\n` +
                `Serve it with berth serve ${written.folder}, or copy it to object storage for KServe: aws s3 sync ${written.folder} s3://bucket/path, then berth k8s … --kserve --storage-uri s3://bucket/path`,
        );
        return;
      }
      const dockerDir = context.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
      const result = await buildCommand({
        config,
        references: [...references, ...(flags.model ?? [])],
        base: flags.base,
        modelcar: flags.modelcar,
        output: flags.output,
        tag: flags.tag,
        push: flags.push,
        insecureRegistry: flags.insecureRegistry,
        cacheDir: flags.cacheDir,
        dockerConfig: join(dockerDir, 'config.json'),
        packageRoot: berthPackageRoot(),
        berthVersion: berthVersion(),
        ...(flags.json ? {} : { onProgress: context.progress }),
      });
      context.print(flags.json ? JSON.stringify(result, null, 2) : renderBuilt(result));
    });
}

/** The built image for people: digest, layers and where it went. */
export function renderBuilt(result: BuildImageResult): string {
  const served = result.versions.map((v) => `${v.model}:${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`).join(', ');
  const lines = [
    `Built image ${result.digest} serving ${served}`,
    `${formatBytes(result.size)} compressed, ${formatBytes(result.uncompressedSize)} uncompressed`,
    '',
    plainTable(
      ['layer', 'digest', 'size', 'uncompressed', ''],
      result.layers.map((l) => [l.name, shortDigest(l.digest), formatBytes(l.size), formatBytes(l.uncompressedSize), l.cached ? 'cached' : 'new']),
    ),
  ];
  if (result.archive) lines.push('', `Wrote ${result.archive.path} (${formatBytes(result.archive.bytes)}); load it with: podman load -i ${result.archive.path}`);
  if (result.pushed) lines.push('', `Pushed ${result.pushed.reference} (${result.pushed.pinned})`);
  return lines.join('\n');
}
