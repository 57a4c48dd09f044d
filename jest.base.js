/** What every jest project shares: Node, SWC for TypeScript and hono/jsx, and the tests' fixed seed. */
const tsx = { syntax: 'typescript', tsx: true }
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    '^.+\\.tsx$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: tsx,
          transform: { react: { runtime: 'automatic', importSource: 'hono/jsx' } },
        },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  // fast-check draws from the run's one seed (test/support/seed.ts).
  setupFiles: ['<rootDir>/test/support/fast-check-seed.ts'],
}

module.exports = base
