import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { createApp } from '../../server/app'
import { createUser, issueToken } from '../../persistence/users'
import { startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/**
 * Item 11 of issue 16: dashboard sessions end on the server when the user logs out (a copied cookie is
 * worth nothing afterwards); the cookie's `Secure` flag follows `X-Forwarded-Proto` only when the
 * request comes from a proxy listed in `HERALD_TRUST_PROXY`; and the bounce webhook has a role of its
 * own, `bounces`, which grants nothing else.
 */
describe('sessions, proxies and the bounce webhook', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  async function logOut(b: ReturnType<typeof dashboardClient>) {
    const csrf = await b.csrfOf('/')
    const res = await b.post('/logout', { _csrf: csrf })
    expect({ status: res.status, location: res.location }).toEqual({ status: 303, location: '/login' })
  }

  test('after logout, a copy of the session cookie taken before no longer opens a page or submits a form', async () => {
    const reader = dashboardClient(h)
    await reader.logIn(h.tokens.approve)
    const csrf = await reader.csrfOf('/')
    const thief = dashboardClient(h)
    for (const [name, value] of reader.jar) thief.jar.set(name, value)
    expect((await thief.get('/')).status).toBe(200)

    await logOut(reader)
    const page = await thief.get('/')
    expect({ status: page.status, location: page.location }).toEqual({
      status: 303,
      location: '/login?next=%2F',
    })
    expect((await thief.post('/deliveries/1/approve', { _csrf: csrf })).status).toBe(401)
  })

  test('logging out ends that session only: another login with the same token goes on', async () => {
    const first = dashboardClient(h)
    const second = dashboardClient(h)
    await first.logIn(h.tokens.viewer)
    await second.logIn(h.tokens.viewer)
    await logOut(first)
    expect((await first.get('/')).status).toBe(303)
    expect((await second.get('/')).status).toBe(200)
  })

  test('the cookie names a session the database knows by a hash only; its row goes at logout', async () => {
    const b = dashboardClient(h)
    await b.logIn(h.tokens.viewer)
    const cookie = b.jar.get('herald_session')!
    const rows: Record<string, unknown>[] = await h.db.knex('dashboard_session').select('*')
    expect(rows.length).toBeGreaterThan(0)
    const stored = JSON.stringify(rows)
    const id = decodeURIComponent(cookie).split('.')[0]
    expect(id.length).toBeGreaterThanOrEqual(32)
    expect(stored).not.toContain(id)
    const before = rows.length
    await logOut(b)
    expect((await h.db.knex('dashboard_session').select('*')).length).toBe(before - 1)
  })

  describe('the Secure flag behind a proxy', () => {
    const servers: ServerType[] = []
    afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))))

    /** Herald over real HTTP on loopback, trusting the proxies given. */
    async function serveTrusting(trustProxy: string[]): Promise<string> {
      const app = createApp({
        db: h.db,
        temporal: h.client,
        config: { ...h.config, api: { ...h.config.api, trustProxy } } as never,
      })
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
      })
      servers.push(server)
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }

    /** Logs in through the login page, as a browser behind the proxy would; returns the cookies set. */
    async function logInThrough(origin: string, forwardedProto: string | null): Promise<string[]> {
      const proxy: Record<string, string> = forwardedProto ? { 'x-forwarded-proto': forwardedProto } : {}
      const page = await fetch(`${origin}/login`, { headers: proxy })
      const loginCookies = page.headers.getSetCookie().map((c) => c.split(';')[0])
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1]
      const res = await fetch(`${origin}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          ...proxy,
          origin,
          cookie: loginCookies.join('; '),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          token: h.tokens.viewer,
          next: '/',
          ...(csrf ? { _csrf: csrf } : {}),
        }).toString(),
      })
      expect(res.status).toBe(303)
      return [...page.headers.getSetCookie(), ...res.headers.getSetCookie()]
    }

    const secure = (cookies: string[], name: string) =>
      cookies.filter((c) => c.startsWith(`${name}=`)).map((c) => / Secure(;|$)/.test(c))

    test('X-Forwarded-Proto: https from a trusted proxy (HERALD_TRUST_PROXY) makes the session cookie Secure', async () => {
      const origin = await serveTrusting(['127.0.0.1', '::1'])
      expect(secure(await logInThrough(origin, 'https'), 'herald_session')).toEqual([true])
      expect(secure(await logInThrough(origin, 'http'), 'herald_session')).toEqual([false])
      expect(secure(await logInThrough(origin, null), 'herald_session')).toEqual([false])
    })

    test('X-Forwarded-Proto from a peer that is not a trusted proxy is ignored', async () => {
      for (const trusted of [[], ['10.0.0.0/8', '192.168.1.1']]) {
        const origin = await serveTrusting(trusted)
        expect(secure(await logInThrough(origin, 'https'), 'herald_session')).toEqual([false])
      }
    })
  })

  test('the bounce webhook has a role of its own, `bounces`, that may report bounces and nothing else', async () => {
    const created = await h.api('POST', '/api/users', {
      as: 'admin',
      body: { name: 'bounce-webhook', roles: ['bounces'] },
    })
    expect(created.status).toBe(201)
    const user = await createUser(h.db, 'bounce-webhook-2', ['bounces' as never])
    for (const { token } of [
      await issueToken(h.db, created.body.id, 'webhook'),
      await issueToken(h.db, user.id, 'webhook'),
    ]) {
      const report = await h.api('POST', '/api/bounces', {
        token,
        body: { events: [{ type: 'soft', email: 'bounced@example.com', reason: '452 mailbox full' }] },
      })
      expect(report.status).toBe(200)
      const refused = []
      for (const [method, url, body] of [
        ['GET', '/api/me'],
        ['GET', '/api/deliveries'],
        ['GET', '/api/addresses'],
        ['POST', '/api/addresses/bounced@example.com/release'],
        ['POST', '/api/deliveries', { label: 'x', subject: 'x', text: 'x', audience: { all: true } }],
        ['GET', '/api/users'],
      ] as [string, string, unknown?][]) {
        refused.push(`${method} ${url} ${(await h.api(method, url, { token, body })).status}`)
      }
      expect(refused).toEqual([
        'GET /api/me 403',
        'GET /api/deliveries 403',
        'GET /api/addresses 403',
        'POST /api/addresses/bounced@example.com/release 403',
        'POST /api/deliveries 403',
        'GET /api/users 403',
      ])
    }
    const viewer = await h.api('POST', '/api/bounces', {
      as: 'viewer',
      body: { events: [{ type: 'soft', email: 'bounced@example.com' }] },
    })
    expect(viewer.status).toBe(403)
    expect(viewer.body.error.message).toContain('"Bounce webhook" role (bounces)')
  })
})
