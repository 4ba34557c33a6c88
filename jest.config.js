/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault and deployment suites have their own commands and configs: npm run test:faults
  // (jest.faults.config.js) and npm run test:deploy (jest.deploy.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/', '<rootDir>/test/deploy/'],
  // Integration tests start real servers on loopback; keep them from fighting over two cores.
  maxWorkers: 2,
  testTimeout: 20000,
  // One throwaway PostgreSQL cluster for the run (initdb + pg_ctl on a free loopback port); each
  // test that needs it takes a schema of its own.
  globalSetup: '<rootDir>/test/helpers/postgres/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/postgres/global-teardown.ts',
};
