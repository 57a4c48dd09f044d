/** `npm run test:faults`: processes killed and servers restarted on loopback; one file at a time. */
const base = require('./jest.base.js')
const { globalSetup, globalTeardown } = require('./jest.config.js')

const only = process.env.HERALD_TEST_DATABASES?.split(',')

module.exports = {
  globalSetup,
  globalTeardown,
  testTimeout: 600_000,
  maxWorkers: 1,
  projects: ['sqlite', 'postgres']
    .filter((db) => !only || only.includes(db))
    .map((db) => ({
      ...base,
      displayName: `faults-${db}`,
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      // A test of PostgreSQL itself runs with the PostgreSQL project only.
      testPathIgnorePatterns: db === 'sqlite' ? ['\\.postgres\\.test\\.ts$'] : [],
      setupFiles: [...base.setupFiles, `<rootDir>/test/support/use-${db}.ts`],
    })),
}
