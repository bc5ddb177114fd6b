/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The full fault matrix runs on its own: npm run test:matrix (jest.matrix.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/matrix/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
};
