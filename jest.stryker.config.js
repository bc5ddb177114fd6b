/**
 * The tests Stryker runs against each mutant of the handler logic (stryker.config.json): only the
 * unit tests of the mutated modules. No global setup: none of these reads the synthesized runbook.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  testMatch: [
    '<rootDir>/test/handlers/**/*.test.ts',
    '<rootDir>/test/logic/**/*.test.ts',
  ],
};
