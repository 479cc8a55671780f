// Jest's global setup: writes the OpenAPI metadata that the Swagger CLI plugin would have
// compiled into `nest build`'s output. Jest compiles the sources with SWC, which runs no
// TypeScript plugins, so the tests load this file instead (Nest's documented way for SWC).
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const METADATA_DIR = join(root, 'test', '.generated');

export default function globalSetup() {
  // The same options as nest-cli.json's plugin entry, so tests document what the build does.
  const nestCli = JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8'));
  const plugin = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger');
  mkdirSync(METADATA_DIR, { recursive: true });
  new PluginMetadataGenerator().generate({
    visitors: [new ReadonlyVisitor({ ...plugin.options, pathToSource: METADATA_DIR })],
    outputDir: METADATA_DIR,
    filename: `swagger-metadata.${process.pid}.ts`,
    // Relative to the working directory, as the generator expects.
    tsconfigPath: relative(process.cwd(), join(root, 'tsconfig.build.json')),
    printDiagnostics: false,
  });
  // Written under a name of its own, then renamed: Jest runs started side by side never read half a file.
  renameSync(join(METADATA_DIR, `swagger-metadata.${process.pid}.ts`), join(METADATA_DIR, 'swagger-metadata.ts'));
}
