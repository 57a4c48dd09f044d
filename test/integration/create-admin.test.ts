import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startHarness, type Harness } from '../support/harness'

/** Production has no demo users: scripts/create-admin.ts makes the first administrator's token. */
describe('the first administrator', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ inProcessWorker: false })
  })
  afterAll(() => h?.close())

  const createAdmin = (name: string) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', name], {
      cwd: path.resolve(__dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: h.databaseUrl },
    })

  test('create-admin prints a token of a new admin user, who can then add users; the database keeps its hash only', async () => {
    const { stdout } = await createAdmin('ops')
    const token = stdout.trim()
    expect(token).toMatch(/^hrld_[\w-]{43}$/)
    expect((await h.api('GET', '/api/me', { token })).body).toMatchObject({ name: 'ops', roles: ['admin'] })
    const user = await h.api('POST', '/api/users', { token, body: { name: 'alice', roles: ['prepare'] } })
    expect(user.status).toBe(201)
    const stored = JSON.stringify(await h.db.knex('api_token').select('*'))
    expect(stored).not.toContain(token.slice('hrld_'.length))
    // Run again, it issues another token for the same user.
    const again = (await createAdmin('ops')).stdout.trim()
    expect(again).not.toBe(token)
    expect((await h.api('GET', '/api/me', { token: again })).body).toMatchObject({ name: 'ops' })
  })

  test('create-admin refuses a user who exists without the admin role', async () => {
    await expect(createAdmin('viewer-user')).rejects.toMatchObject({
      stderr: expect.stringContaining("user 'viewer-user' exists without the admin role"),
    })
  })
})
