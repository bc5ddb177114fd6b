/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The full fault matrix runs on its own: npm run test:matrix (jest.matrix.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/matrix/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // A hang fails in seconds, not minutes: the slowest test takes about 2 s (a rehearsal under a
  // loaded machine). Tests known to need more say so beside themselves, with the reason.
  testTimeout: 10_000,
  // Jest's default keeps a core for its main thread, which only waits here: on this 2-core machine
  // that is one worker, and npm test took 215 s instead of 123 s with both cores (measured).
  maxWorkers: '100%',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // No HTTP stub outlives its test file, so a timed-out test cannot keep the run from exiting.
  setupFilesAfterEnv: ['<rootDir>/test/support/close-stubs.ts'],
};
