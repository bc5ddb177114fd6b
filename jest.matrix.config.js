/**
 * The full fault matrix (`npm run test:matrix`): every kind of fault on every deployment fixture,
 * with baselines recorded once by its own global setup. `npm test` runs a representative part.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/matrix'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/matrix/global-setup.ts',
};
