/** `npm run test:faults`: processes killed and servers restarted on loopback; one file at a time. */
const base = require('./jest.config.js')

const faults = (db) => ({
  testEnvironment: 'node',
  transform: base.projects[0].transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  displayName: `faults-${db}`,
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  setupFiles: [`<rootDir>/test/support/use-${db}.ts`],
})

const only = process.env.HERALD_TEST_DATABASES?.split(',')

module.exports = {
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  testTimeout: 600_000,
  maxWorkers: 1,
  projects: ['sqlite', 'postgres'].filter((db) => !only || only.includes(db)).map(faults),
}
