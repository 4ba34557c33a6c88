/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Integration tests start real servers on loopback; keep them from fighting over two cores.
  maxWorkers: 2,
  testTimeout: 20000,
};
