/** What every jest project shares: Node, and SWC for TypeScript and hono/jsx. */
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
}

module.exports = base
