import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/** The dashboard over HTTP (no browser): sessions, CSRF, and acting through the API as the user. */
describe('dashboard sessions and forms', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const browser = () => dashboardClient(h)

  test('logging in sets a signed HttpOnly SameSite=Strict session cookie that never holds the token', async () => {
    const b = browser()
    const anonymous = await b.get('/deliveries/1?tab=sending')
    expect(anonymous.status).toBe(303)
    expect(anonymous.location).toBe('/login?next=%2Fdeliveries%2F1%3Ftab%3Dsending')

    // The login form carries a token of its own (login CSRF, test/security/login-csrf.test.ts).
    const loginToken = (page: { text: string }) => /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
    const login = await b.get('/login')
    const wrong = await b.post('/login', { token: 'hrld_not-a-token', next: '/', _csrf: loginToken(login) })
    expect(wrong.status).toBe(401)
    expect(wrong.text).toContain('This API token is unknown or revoked.')
    expect(b.jar.has('herald_session')).toBe(false)

    const res = await b.post('/login', {
      token: h.tokens.approve,
      next: '//evil.example/',
      _csrf: loginToken(wrong),
    })
    expect(res.status).toBe(303)
    expect(res.location).toBe('/')
    const cookie = res.res.headers.getSetCookie().find((c) => c.startsWith('herald_session='))!
    expect(cookie).toMatch(/; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/)
    expect(cookie).not.toContain(h.tokens.approve)
    expect(cookie).not.toContain(h.tokens.approve.slice(5, 20))

    const home = await b.get('/')
    expect(home.status).toBe(200)
    expect(home.text).toContain('<h1>Deliveries</h1>')
    expect(home.res.headers.get('content-security-policy')).toContain("script-src 'self'")

    const forged = browser()
    const session = b.jar.get('herald_session')!
    forged.jar.set('herald_session', (session.startsWith('A') ? 'B' : 'A') + session.slice(1))
    expect((await forged.get('/')).status).toBe(303)
  })

  test('a form from another site, or without the page’s CSRF token, is refused and changes nothing', async () => {
    const ids = await importProfiles(h, 2)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'CSRF', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    const b = browser()
    await b.logIn(h.tokens.approve)
    const csrf = await b.csrfOf(`/deliveries/${id}`)

    const crossSite = await b.post(
      `/deliveries/${id}/approve`,
      { _csrf: csrf },
      { origin: 'http://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect((await b.post(`/deliveries/${id}/approve`, {})).status).toBe(403)
    // one character changed (a token that starts with "x" gets a "y")
    const altered = (csrf.startsWith('x') ? 'y' : 'x') + csrf.slice(1)
    expect((await b.post(`/deliveries/${id}/approve`, { _csrf: altered })).status).toBe(403)
    const otherSession = browser()
    await otherSession.logIn(h.tokens.approve)
    expect((await otherSession.post(`/deliveries/${id}/approve`, { _csrf: csrf })).status).toBe(403)
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('awaiting_approval')

    const approved = await b.post(`/deliveries/${id}/approve`, { _csrf: csrf })
    expect(approved).toMatchObject({ status: 303, location: `/deliveries/${id}` })
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      status: 'ready',
      approvedBy: 'approve-user',
    })
    expect((await b.get(`/deliveries/${id}`)).text).toContain('Approved: the delivery is ready to send.')
  })

  test('an action the API refuses shows the API’s own message and changes nothing', async () => {
    const id = await readyDelivery(h, await importProfiles(h, 2))
    const starter = browser()
    await starter.logIn(h.tokens.start)
    const csrf = await starter.csrfOf(`/deliveries/${id}`)
    await starter.post(`/deliveries/${id}/confirm`, { _csrf: csrf, expectedMessages: '3' })
    const page = await starter.get(`/deliveries/${id}`)
    expect(page.text).toMatch(/role="alert">you confirmed 3 messages but the delivery is prepared for 2/)

    // Posting the form without the role (the page shows no button) gets the API's 403 message.
    const preparer = browser()
    await preparer.logIn(h.tokens.prepare)
    const preparerCsrf = await preparer.csrfOf(`/deliveries/${id}`)
    await preparer.post(`/deliveries/${id}/confirm`, { _csrf: preparerCsrf, expectedMessages: '2' })
    expect((await preparer.get(`/deliveries/${id}`)).text).toContain(
      'You do not have the &quot;Start deliveries&quot; role (start) needed to confirm the send of a delivery.',
    )
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('ready')
    expect(h.sink.messages).toHaveLength(0)
  })

  test('the Reject, Reschedule and Stop forms reach the workflow with what the user typed', async () => {
    const ids = await importProfiles(h, 2)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Forms', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    const approver = browser()
    await approver.logIn(h.tokens.approve)
    await approver.post(`/deliveries/${id}/reject`, {
      _csrf: await approver.csrfOf(`/deliveries/${id}`),
      reason: 'Subject too vague',
    })
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      status: 'draft',
      rejectionReason: 'Subject too vague',
    })

    const starter = browser()
    await starter.logIn(h.tokens.start)
    await starter.post(`/deliveries/${id}/schedule`, {
      _csrf: await starter.csrfOf(`/deliveries/${id}`),
      contactDate: '2030-01-01T09:00',
      timeZone: 'Europe/Paris',
    })
    expect((await h.api('GET', `/api/deliveries/${id}`)).body).toMatchObject({
      contactDate: '2030-01-01T08:00:00.000Z',
      contactDateText: '2030-01-01 09:00 Europe/Paris',
      timeZone: 'Europe/Paris',
    })
    // The contact date is shown in the delivery's own zone, naming it (the page's script adds the reader's).
    expect((await starter.get(`/deliveries/${id}`)).text).toContain(
      '<time datetime="2030-01-01T08:00:00.000Z" data-zone="Europe/Paris">2030-01-01 09:00 Europe/Paris</time>',
    )
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
    await h.waitForStatus(id, 'start_pending')
    const page = await starter.get(`/deliveries/${id}`)
    expect(page.text).toContain('Stop this delivery?')
    await starter.post(`/deliveries/${id}/stop`, { _csrf: await starter.csrfOf(`/deliveries/${id}`) })
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('stopped')
    expect(h.sink.messages).toHaveLength(0)
  })

  test('revoking the token ends its dashboard sessions; logging out ends the session in the browser', async () => {
    const user = await h.api('POST', '/api/users', {
      as: 'admin',
      body: { name: 'short-lived', roles: ['viewer'] },
    })
    const issued = await h.api('POST', `/api/users/${user.body.id}/tokens`, { as: 'admin', body: {} })
    const b = browser()
    await b.logIn(issued.body.token)
    expect((await b.get('/')).status).toBe(200)
    await h.api('DELETE', `/api/tokens/${issued.body.id}`, { as: 'admin' })
    expect((await b.get('/')).status).toBe(303)

    const other = browser()
    await other.logIn(h.tokens.viewer)
    const csrf = await other.csrfOf('/')
    const out = await other.post('/logout', { _csrf: csrf })
    expect(out).toMatchObject({ status: 303, location: '/login' })
    expect(other.jar.has('herald_session')).toBe(false)
    expect((await other.get('/')).status).toBe(303)
  })

  test('the live figures of the Deployment block come as JSON; the API keeps answering JSON', async () => {
    const id = await readyDelivery(h, await importProfiles(h, 2))
    const b = browser()
    await b.logIn(h.tokens.viewer)
    const live = await b.get(`/deliveries/${id}/live`)
    expect(live.status).toBe(200)
    expect(JSON.parse(live.text)).toMatchObject({
      status: 'ready',
      logicalStatus: 'editing',
      progress: { toDeliver: 2, processed: 0 },
      tiles: expect.arrayContaining([{ key: 'toDeliver', label: 'To deliver', value: '2' }]),
      refreshMs: 5000,
    })
    expect((await browser().get(`/deliveries/${id}/live`)).status).toBe(401)
    const unknownApi = await h.api('GET', '/api/nothing-here')
    expect(unknownApi).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    expect((await b.get('/deliveries/999999')).status).toBe(404)
    expect((await b.get('/no-such-page')).text).toContain('There is no such page.')
  })
})
