import { startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/**
 * Item 5 of issue 16: after logging in, the dashboard sends the user to `next`. Only the paths of the
 * dashboard's own pages are accepted, checked after the URL is normalised the way a browser does it;
 * anything else (another host however it is spelt, a script URL, a path of no page) leads to `/`.
 */
describe('the redirect after login', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const origin = 'http://localhost'

  /** Where a browser would go: the WHATWG URL parser drops tabs and newlines and reads `\` as `/`. */
  const browserTarget = (location: string) => new URL(location, `${origin}/login`)

  // As an attacker writes them in a link: each percent-encoding is decoded once by the query string.
  const hostile = [
    '/%09/evil.example',
    '%09/evil.example',
    '/%0A/evil.example',
    '/%0D%0ALocation:%20http://evil.example',
    '/%5Cevil.example',
    '%5C%5Cevil.example',
    '/%5C/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '/%2F%2Fevil.example',
    '%2F%2Fevil.example',
    '/%2F/evil.example',
    '/%252F%252Fevil.example',
    '/%09/%09/evil.example',
    '/.%2E/%2F/evil.example',
    '/deliveries/1/..//evil.example',
    '/%E2%80%8B/evil.example',
    'https://evil.example/',
    'https:evil.example',
    'http:%2F%2Fevil.example',
    '//evil.example@localhost',
    'javascript:alert(document.domain)',
    'JaVaScRiPt%3Aalert(1)',
    '%20javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/logout',
    '/login?next=//evil.example',
    '/assets/dashboard.js',
    '/api/users',
    '/t/u/1.1.signature',
    '/deliveries/1/approve',
    '/no-such-page',
  ]

  test('a logged-in reader sent to /login?next=<hostile> lands on / (never another host), for every spelling', async () => {
    const b = dashboardClient(h)
    await b.logIn(h.tokens.viewer)
    const seen = []
    for (const raw of hostile) {
      const res = await b.get(`/login?next=${raw}`)
      seen.push({
        raw,
        status: res.status,
        location: res.location,
        host: browserTarget(res.location ?? '').host,
      })
    }
    expect(seen).toEqual(hostile.map((raw) => ({ raw, status: 303, location: '/', host: 'localhost' })))
  })

  test('logging in with a hostile next (the form field, sent back as it came) lands on /', async () => {
    const seen = []
    for (const raw of hostile) {
      const b = dashboardClient(h)
      const next = decodeURIComponent(raw.replace(/%(?![0-9A-F]{2})/gi, '%25'))
      const res = await b.logIn(h.tokens.viewer, next)
      seen.push({ next, location: res.location, host: browserTarget(res.location ?? '').host })
    }
    expect(seen).toEqual(
      hostile.map((raw) => ({
        next: decodeURIComponent(raw.replace(/%(?![0-9A-F]{2})/gi, '%25')),
        location: '/',
        host: 'localhost',
      })),
    )
  })

  test('the login page never carries a hostile next in its form', async () => {
    for (const raw of hostile) {
      const page = await dashboardClient(h).get(`/login?next=${raw}`)
      expect({ raw, next: /name="next" value="([^"]*)"/.exec(page.text)?.[1] }).toEqual({ raw, next: '/' })
    }
  })

  test("the dashboard's own pages are kept, with their query, normalised", async () => {
    const kept: [string, string][] = [
      ['/', '/'],
      ['/deliveries/12', '/deliveries/12'],
      ['/deliveries/12?tab=sending&page=2', '/deliveries/12?tab=sending&page=2'],
      ['/recurring-deliveries', '/recurring-deliveries'],
      ['/recurring-deliveries/3?status=sent', '/recurring-deliveries/3?status=sent'],
      ['/mailbox', '/mailbox'],
      ['/mailbox/7', '/mailbox/7'],
      ['/?status=draft&search=a%20b', '/?status=draft&search=a%20b'],
      ['/deliveries/./12', '/deliveries/12'],
    ]
    const b = dashboardClient(h)
    await b.logIn(h.tokens.viewer)
    for (const [next, location] of kept) {
      const res = await b.get(`/login?${new URLSearchParams({ next })}`)
      expect({ next, location: res.location }).toEqual({ next, location })
    }
  })
})
