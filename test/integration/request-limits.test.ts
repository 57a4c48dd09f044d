import { createApp } from '../../server/app'
import { TrackingUrls } from '../../mail/tracking-urls'
import { importProfiles, startHarness, type Harness } from '../support/harness'

/** Body limits, the request timeout and JSON-only bodies, on every part of the app. */
describe('request limits', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const count = async (table: string) => Number((await h.db.knex(table).count('* as n'))[0].n)

  /** A body of `total` bytes, produced lazily in 1 MB chunks; `pulled` says how much was read. */
  function lazyBody(total: number) {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20)
    const counter = { pulled: 0 }
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (counter.pulled >= total) return controller.close()
        counter.pulled += chunk.length
        controller.enqueue(chunk)
      },
    })
    return { stream, counter }
  }

  const post = (path: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string>) =>
    h.app.request(path, { method: 'POST', body, headers, duplex: 'half' } as RequestInit)

  test('a body declared larger than 20 MB is refused with 413 without reading it', async () => {
    const before = await count('profile')
    const { stream, counter } = lazyBody(25 * 1024 * 1024)
    const res = await post('/api/profiles', stream, {
      authorization: `Bearer ${h.tokens.creator}`,
      'content-type': 'application/json',
      'content-length': String(25 * 1024 * 1024),
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({ error: { code: 'too_large', message: 'body: larger than 20 MB' } })
    expect(counter.pulled).toBeLessThanOrEqual(1024 * 1024)
    expect(await count('profile')).toBe(before)
  })

  test('a body of unknown length is read only until it passes 20 MB, then refused with 413', async () => {
    const { stream, counter } = lazyBody(60 * 1024 * 1024)
    const res = await post('/api/profiles', stream, {
      authorization: `Bearer ${h.tokens.creator}`,
      'content-type': 'application/json',
    })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_large')
    expect(counter.pulled).toBeLessThanOrEqual(22 * 1024 * 1024)
  })

  test('tracking links and dashboard forms take 64 KB at most, answered with the JSON error shape', async () => {
    const [profileId] = await importProfiles(h, 1)
    const unsubscribe = new TrackingUrls(h.config.trackingSecret!, 'http://localhost', 1).url(
      'unsubscribe',
      profileId,
    )
    const big = 'List-Unsubscribe=One-Click&x=' + 'a'.repeat(70 * 1024)
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' }
    for (const path of [new URL(unsubscribe).pathname, '/login', '/deliveries/1/approve']) {
      const res = await post(path, big, { ...form, 'content-length': String(big.length) })
      expect({ path, status: res.status }).toEqual({ path, status: 413 })
      expect(await res.json()).toEqual({ error: { code: 'too_large', message: 'body: larger than 64 KB' } })
    }
    expect(await count('tracking_log')).toBe(0)
  })

  test('a body that is not JSON is refused with 415, even where the body is optional, and changes nothing', async () => {
    const ids = await importProfiles(h, 1)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'L', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    const tokensBefore = await count('api_token')
    const cases: [string, string, string][] = [
      [`/api/deliveries/${id}/prepare`, 'text/plain', 'prepare it'],
      [`/api/deliveries/${id}/prepare`, 'application/jsonx', '{}'],
      [`/api/users/1/tokens`, 'application/x-www-form-urlencoded', 'label=x'],
      [`/api/users/1/tokens`, '', '{"label":"x"}'],
    ]
    for (const [path, type, body] of cases) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${h.tokens.admin}`,
        'content-length': String(Buffer.byteLength(body)),
      }
      if (type) headers['content-type'] = type
      const res = await post(path, body, headers)
      expect({ path, type, status: res.status }).toEqual({ path, type, status: 415 })
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({
        code: 'unsupported_media_type',
      })
    }
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('draft')
    expect(await count('api_token')).toBe(tokensBefore)
    // No body at all still means "no options", as curl -X POST sends it.
    const bare = await h.app.request(`/api/deliveries/${id}/prepare`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.creator}` },
    })
    expect(bare.status).toBe(200)
  })

  test('a request still unanswered after HERALD_REQUEST_TIMEOUT gets 504, on the API and elsewhere', async () => {
    const app = createApp({
      db: h.db,
      temporal: h.client,
      config: { ...h.config, api: { ...h.config.api, requestTimeoutMs: 300 } },
    })
    // Handlers that hang, mounted in this test only.
    const hang = () =>
      new Promise<Response>((resolve) => setTimeout(() => resolve(new Response('late')), 3000))
    app.get('/api/test-hang', hang)
    app.get('/test-hang', hang)
    for (const path of ['/api/test-hang', '/test-hang']) {
      const res = await app.request(path, { headers: { authorization: `Bearer ${h.tokens.viewer}` } })
      expect({ path, status: res.status }).toEqual({ path, status: 504 })
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({
        code: 'timeout',
        message: expect.stringContaining('no answer within 0.3 s'),
      })
    }
  })
})
