// @ts-check
/** Unit tests sit beside the code and need no server; integration tests (`*.int.test.ts`) get
 * real Kafka, MongoDB (FerretDB here) and the SES endpoint from test/global-setup.ts. */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};
const moduleNameMapper = {
  '^@privacy-relay/shared/(.*)$': '<rootDir>/shared/src/$1',
  '^@privacy-relay/infra$': '<rootDir>/infra/src',
  '^@privacy-relay/(intake|relay)/(.*)$': '<rootDir>/services/$1/src/$2',
};
const common = {
  rootDir: __dirname,
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // KafkaJS can leave a reconnect timer behind a client that was disconnected while a broker was
  // away (its connect retry does not observe disconnect). Every test closes what it opened; this
  // keeps such a stray timer from holding the run open after the results and the teardown.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{shared,infra,services/*}/src/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{test,services/*/test}/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeouts.ts'],
      slowTestThreshold: 60,
    },
    {
      // Debian's Chromium driven by playwright-core against intake and relay on the same servers;
      // skipped with a message where /usr/bin/chromium is missing (never in CI: .ci/run installs it).
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeouts.ts'],
      slowTestThreshold: 120,
    },
  ],
};
