import { startHarness, waitUntil, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'
import { messageTo, sentTrackedDelivery, trackingLinks, trackingLogs } from '../support/tracked-delivery'

/**
 * Issue 16, item 10: opening a mirror page from a profile's history counted as the profile's open, and
 * open-pixel hits held in memory while the database was down had no bound. Views by someone logged in to
 * Herald are not recorded; at most HERALD_TRACKING_BUFFER hits wait, beyond that 503, counted in /health.
 */
describe('tracking hits', () => {
  let h: Harness
  const bound = 5
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_TRACKING_BUFFER: String(bound) } })
  })
  afterAll(() => h?.close())

  test('a mirror page or link opened while logged in to the dashboard or with an API token records nothing', async () => {
    const { id, ids } = await sentTrackedDelivery(h, 1)
    const links = trackingLinks(await messageTo(h, id, ids[0]))
    const history = (await h.api('GET', `/api/profiles/${ids[0]}/history`, { as: 'viewer' })).body
    const fromHistory = history.items[0].mirrorPageUrl as string

    const dashboard = dashboardClient(h)
    await dashboard.logIn(h.tokens.viewer)
    expect((await dashboard.get(fromHistory)).status).toBe(200)
    expect((await dashboard.get(links.clicks[0])).status).toBe(302)
    expect((await dashboard.get(links.pixel)).status).toBe(200)
    const withToken = { headers: { authorization: `Bearer ${h.tokens.viewer}` } }
    expect((await h.app.request(fromHistory, withToken)).status).toBe(200)
    expect((await h.app.request(links.clicks[0], withToken)).status).toBe(302)
    await h.app.drain()
    expect((await trackingLogs(h, id)).total).toBe(0)
    expect(
      (await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as: 'approve' })).body.kpis,
    ).toMatchObject({
      opens: 0,
      clicks: 0,
    })

    // A revoked token's session, or a made-up cookie, is nobody's: the reader's view counts.
    const stranger = { headers: { cookie: 'herald_session=1.forged', authorization: 'Bearer hrld_unknown' } }
    expect((await h.app.request(links.mirror, stranger)).status).toBe(200)
    expect((await trackingLogs(h, id)).items).toEqual([expect.objectContaining({ type: 'mirror' })])
  })

  test('while the database cannot store hits, at most HERALD_TRACKING_BUFFER wait; beyond, 503 and counted in /health', async () => {
    const { id, ids } = await sentTrackedDelivery(h, 1)
    const { pixel } = trackingLinks(await messageTo(h, id, ids[0]))
    const health = async () => (await (await h.app.request('/health')).json()) as Record<string, any>
    // The database refuses every insert into the tracking log, as while it is down.
    await h.db.knex.raw('alter table tracking_log rename to tracking_log_away')
    try {
      for (let i = 0; i < bound; i++) expect((await h.app.request(pixel)).status).toBe(200)
      await waitUntil(
        'a failed insert of the waiting hits',
        async () => (await health()).trackingHits?.held === bound,
      )
      const refused = await h.app.request(pixel)
      expect(refused.status).toBe(503)
      expect(((await refused.json()) as any).error.code).toBe('tracking_unavailable')
      expect((await h.app.request(pixel)).status).toBe(503)
      expect((await health()).trackingHits).toEqual({ held: bound, refused: 2 })
    } finally {
      await h.db.knex.raw('alter table tracking_log_away rename to tracking_log')
    }
    await h.app.drain()
    expect((await trackingLogs(h, id)).total).toBe(bound)
    expect((await health()).trackingHits).toEqual({ held: 0, refused: 2 })
    expect((await h.app.request(pixel)).status).toBe(200)
  })
})
