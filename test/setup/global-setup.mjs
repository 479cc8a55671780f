// Jest's global setup: writes the OpenAPI metadata that the Swagger CLI plugin would have
// compiled into `nest build`'s output. Jest compiles the sources with SWC, which runs no
// TypeScript plugins, so the tests load this file instead (Nest's documented way for SWC).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const METADATA_DIR = join(root, 'test', '.generated');

/**
 * What the metadata is made from: every source file the build compiles, the plugin's settings
 * and its version. Generating takes a whole TypeScript program (10-30 s here), so a run whose
 * inputs are unchanged (CI's second and third run, a developer's rerun) reuses the last output.
 */
function inputsDigest() {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'src'), { recursive: true })
    .filter((file) => file.endsWith('.ts'))
    .sort();
  for (const file of files) hash.update(file).update(readFileSync(join(root, 'src', file)));
  for (const file of [
    'nest-cli.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'node_modules/@nestjs/swagger/package.json',
  ])
    hash.update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

export default async function globalSetup() {
  const digest = inputsDigest();
  const digestFile = join(METADATA_DIR, 'swagger-metadata.sha256');
  if (existsSync(join(METADATA_DIR, 'swagger-metadata.ts')) && existsSync(digestFile))
    if (readFileSync(digestFile, 'utf8') === digest) return;
  // Imported only when needed: loading TypeScript and the plugin alone takes seconds.
  const { PluginMetadataGenerator } = await import('@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js');
  const { ReadonlyVisitor } = await import('@nestjs/swagger/plugin');
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
  writeFileSync(digestFile, digest);
}
