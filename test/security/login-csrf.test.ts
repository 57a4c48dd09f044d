import { startHarness, type Harness } from '../support/harness'
import { dashboardClient, type DashboardClient } from '../support/dashboard-client'

/**
 * Item 6 of issue 16 (the login half): login CSRF. A form that posts someone else's API token to
 * /login — from another site, or from a page on Herald's own origin such as a delivery's mirror page —
 * must not log the reader in as that someone: their next actions would be recorded as the author's.
 * The login page sets a login cookie of its own and carries a token derived from it in its form;
 * a login without both, or whose Origin is not Herald's, is refused and sets no session.
 */
describe('login CSRF', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const origin = 'http://localhost'
  const sessionSet = (res: Response) =>
    res.headers.getSetCookie().some((c) => c.startsWith('herald_session=') && !/Max-Age=0/i.test(c))

  /** The reader's browser, which has shown the login page (so it holds the login cookie). */
  async function readerOnLoginPage(): Promise<DashboardClient> {
    const reader = dashboardClient(h, origin)
    expect((await reader.get('/login')).status).toBe(200)
    return reader
  }

  test("a same-origin form (e.g. in a mirror page) posting the author's token, without the login page's token, is refused and sets no session", async () => {
    for (const reader of [dashboardClient(h, origin), await readerOnLoginPage()]) {
      const res = await reader.post(
        '/login',
        { token: h.tokens.creator, next: '/' },
        { 'sec-fetch-site': 'same-origin' },
      )
      expect({ status: res.status, session: sessionSet(res.res) }).toEqual({ status: 403, session: false })
      expect((await reader.get('/')).status).toBe(303)
    }
  })

  test("the attacker's own login-page token does not work in the reader's browser", async () => {
    const attacker = dashboardClient(h, origin)
    const page = await attacker.get('/login')
    const attackerToken = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? 'none'
    const reader = await readerOnLoginPage()
    const res = await reader.post(
      '/login',
      { token: h.tokens.creator, next: '/', _csrf: attackerToken },
      { 'sec-fetch-site': 'same-origin' },
    )
    expect({ status: res.status, session: sessionSet(res.res) }).toEqual({ status: 403, session: false })
  })

  test('a cross-origin form, or one with neither Origin nor Sec-Fetch-Site, is refused even with the right login token', async () => {
    const attempts: Record<string, string>[] = [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { origin: '' },
    ]
    for (const headers of attempts) {
      const reader = await readerOnLoginPage()
      const page = await reader.get('/login')
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? 'none'
      const res = await reader.post('/login', { token: h.tokens.creator, next: '/', _csrf: csrf }, headers)
      expect({ headers, status: res.status, session: sessionSet(res.res) }).toEqual({
        headers,
        status: 403,
        session: false,
      })
    }
  })

  test('logging in through the login page works', async () => {
    const reader = await readerOnLoginPage()
    const page = await reader.get('/login')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
    const res = await reader.post('/login', { token: h.tokens.viewer, next: '/', _csrf: csrf })
    expect({ status: res.status, location: res.location, session: sessionSet(res.res) }).toEqual({
      status: 303,
      location: '/',
      session: true,
    })
    expect((await reader.get('/')).status).toBe(200)
  })

  test('a refused login shows the login page again with a fresh form, saying why', async () => {
    const reader = dashboardClient(h, origin)
    const res = await reader.post('/login', { token: h.tokens.viewer, next: '/deliveries/1' })
    expect(res.status).toBe(403)
    expect(res.text).toContain('reload')
    expect(res.text).toMatch(/name="_csrf" value="[^"]+"/)
    expect(res.text).toContain('name="next" value="/deliveries/1"')
  })
})
