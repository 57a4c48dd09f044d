import { startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/** The dashboard's Import profiles page: a multipart upload handed to POST /api/profiles/import as the user. */
describe('dashboard: import profiles', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  async function upload(b: ReturnType<typeof dashboardClient>, csv: string, fields: Record<string, string>) {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) form.set(name, value)
    form.set('file', new File([csv], 'profiles.csv', { type: 'text/csv' }))
    const res = await h.app.request('/imports', {
      method: 'POST',
      headers: { cookie: [...b.jar].map(([k, v]) => `${k}=${v}`).join('; '), origin: 'http://localhost' },
      body: form,
    })
    return { status: res.status, location: res.headers.get('location'), text: await res.text() }
  }

  test('an editor uploads a file and reads what was created and rejected, line by line', async () => {
    const b = dashboardClient(h)
    await b.logIn(h.tokens.prepare)
    const page = await b.get('/imports')
    expect(page.status).toBe(200)
    expect(page.text).toContain('Import profiles')
    const csrf = await b.csrfOf('/imports')
    const csv = 'externalId;email;plan\ndash-1;dash1@example.com;pro\ndash-2;not-an-address;pro\n'
    const res = await upload(b, csv, { _csrf: csrf, mode: 'upsert', delimiter: ';' })
    expect(res.status).toBe(303)
    const result = await b.get(res.location!)
    expect(result.status).toBe(200)
    expect(result.text).toMatch(/Import \d+: finished/)
    expect(result.text).toMatch(/<dt>Created<\/dt><dd>1<\/dd>/)
    expect(result.text).toContain('<td class="num">3</td><td>email: invalid address</td>')
    const profile = await h.db.knex('profile').where('external_id', 'dash-1').first()
    expect(profile.email).toBe('dash1@example.com')
  })

  test("a file that is not CSV shows the API's 400 and imports nothing; a viewer sees the missing role", async () => {
    const b = dashboardClient(h)
    await b.logIn(h.tokens.prepare)
    const bad = await upload(b, 'name,phone\nAda,1\n', { _csrf: await b.csrfOf('/imports') })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('needs an externalId or an email column')
    const viewer = dashboardClient(h)
    await viewer.logIn(h.tokens.viewer)
    expect((await viewer.get('/')).text).not.toContain('href="/imports"')
    const refused = await upload(viewer, 'externalId\nv-1\n', { _csrf: await viewer.csrfOf('/imports') })
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('Prepare deliveries')
    expect(await h.db.knex('profile').where('external_id', 'v-1').first()).toBeUndefined()
  })
})
