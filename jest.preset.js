// The Jest set-up every tier shares: jest.config.js (all tests) and test/jest-e2e.json (the
// e2e tier) both start from it.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Names of the installed packages that ship only ES modules ("type": "module"): all of
 * @nestjs/* 12, temporal-polyfill and more. Jest's CommonJS loader cannot require them on
 * Node before 24.9, so SWC compiles them to CommonJS too. Read from node_modules at each run,
 * so the list follows the lock file.
 */
function esModulePackages(dir = join(__dirname, 'node_modules'), names = new Set()) {
  if (!existsSync(dir)) return names;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const packages = entry.startsWith('@') ? readdirSync(join(dir, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of packages) {
      const manifest = join(dir, name, 'package.json');
      if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).type === 'module') names.add(name);
      esModulePackages(join(dir, name, 'node_modules'), names);
    }
  }
  return names;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const esm = [...esModulePackages()].map(escape).join('|');

// The compiler settings of tsconfig.json (legacy decorators with their metadata, ES2022).
const swcTypeScript = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const swcModules = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } };

module.exports = {
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTypeScript],
    '^.+\\.m?js$': ['@swc/jest', swcModules],
  },
  // Leave a file in node_modules alone unless the innermost package it belongs to is ESM-only.
  transformIgnorePatterns: [`/node_modules/(?!(?:${esm})/)(?:@[^/]+/)?[^/]+/(?!.*/node_modules/)`],
  // ESM packages import their own files as './x.js'; so do Nest's generated metadata imports.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/setup/matchers.ts'],
  // Only ends a hung test: an e2e file boots the app (PGlite in WebAssembly when embedded), a
  // process test starts the built service several times, and with two CPU-bound processes beside
  // the suite a single start took over 90 s.
  testTimeout: 300_000,
  // Two cores here: one worker per core beat Jest's default of one worker (cores - 1).
  maxWorkers: 2,
};
