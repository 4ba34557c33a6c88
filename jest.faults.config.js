/**
 * The fault suite (`npm run test:faults`): the real service in child processes, crashed, starved
 * and stopped on purpose. Slower than `npm test`, and one file at a time, so each test has the
 * machine's cores to itself and a kill lands where the test means it to.
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 300000,
};
