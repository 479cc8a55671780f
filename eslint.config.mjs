import js from '@eslint/js';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import tseslint from 'typescript-eslint';
import timing from './eslint/no-elapsed-time-expectations.mjs';

export default tseslint.config(
  {
    // The client's openapi.ts is generated from the service's OpenAPI document (test/packaging/http-types.spec.ts).
    ignores: [
      '**/dist/',
      'node_modules/',
      'data/',
      'coverage/',
      'test/.generated/',
      'eslint.config.mjs',
      'packages/client/src/openapi.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Formatting is Prettier's (.prettierrc); unformatted code fails lint.
  prettierRecommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    // Plain JavaScript configuration and set-up files: no TypeScript project, Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests assert behaviour, not speed (bench/ measures it).
    files: ['src/**/*.spec.ts', 'test/**/*.ts'],
    plugins: { timing },
    rules: { 'timing/no-elapsed-time-expectations': 'error' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Response bodies are JSON of whatever shape the test checks.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
);
