/**
 * The deployment suite (`npm run test:deploy`): the README's production install and the
 * Dockerfile's steps, run for real on a copy of the repository (npm ci, build, prune), then the
 * service started as `npm start` and as the image's CMD. Minutes, not seconds: its own command.
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/deploy'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 120000,
  // The image's command runs on PostgreSQL, as compose.yaml runs it: the same throwaway cluster.
  globalSetup: '<rootDir>/test/helpers/postgres/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/postgres/global-teardown.ts',
};
