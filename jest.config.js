// Every test: unit specs beside their code in src/, e2e, robustness and fault suites in test/.
module.exports = {
  preset: './jest.preset.js',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(e2e-)?spec\\.ts$',
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/**/testing/**', '!src/database/migrations/**'],
  coverageDirectory: 'coverage',
};
