/** Unit tests once; integration tests once per database (SQLite, then PostgreSQL). */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
}

const integration = (db) => ({
  ...base,
  displayName: db,
  testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
  setupFiles: [`<rootDir>/test/support/use-${db}.ts`],
})

const only = process.env.HERALD_TEST_DATABASES?.split(',')

module.exports = {
  ...base,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    ...['sqlite', 'postgres'].filter((db) => !only || only.includes(db)).map(integration),
  ],
}
