/**
 * `npm run test:cluster`: docker-compose.yml's topology without Docker (runtime/cluster.ts) — Temporal's
 * services on PostgreSQL, two API replicas, three workers — with processes killed and restarted.
 */
const base = require('./jest.base.js')

module.exports = {
  ...base,
  displayName: 'cluster',
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  testTimeout: 600_000,
  maxWorkers: 1,
}
