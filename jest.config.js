/**
 * Unit tests once; integration and security tests once per database (SQLite, then PostgreSQL); browser tests of the
 * dashboard once, on SQLite (what they prove does not depend on the database). `npm test` runs the
 * browser project in a second jest run, after the others.
 */
const base = require('./jest.base.js')

const integration = (db) => ({
  ...base,
  displayName: db,
  testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/security/**/*.test.ts'],
  setupFiles: [...base.setupFiles, `<rootDir>/test/support/use-${db}.ts`],
})

const only = process.env.HERALD_TEST_DATABASES?.split(',')

module.exports = {
  ...base,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 180_000, // deadlines inside tests are up to 90 s; a machine at load 20 needs them
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    ...['sqlite', 'postgres'].filter((db) => !only || only.includes(db)).map(integration),
    {
      ...base,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      setupFiles: [...base.setupFiles, '<rootDir>/test/support/use-sqlite.ts'],
    },
  ],
}
