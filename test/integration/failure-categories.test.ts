import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/** Every failure gets a category from its SMTP reply or its report; logs filter by it, the KPIs count it. */
describe('failure categories', () => {
  let h: Harness
  beforeAll(async () => {
    // A soft failure's first retry would fall after the validity period: it fails at once, as soft.
    h = await startHarness({ settings: { validityMs: 1000, retryIntervalMs: 60_000 } })
  })
  afterAll(() => h?.close())
  afterEach(() => (h.sink.recipientRule = null))

  const emailOf = async (profileId: number): Promise<string> =>
    (await h.api('GET', `/api/profiles/${profileId}`)).body.email
  const logs = async (id: number, query = '') =>
    (await h.api('GET', `/api/deliveries/${id}/sending-logs?pageSize=100${query}`, { as: 'viewer' })).body
  const address = async (email: string) =>
    (await h.api('GET', `/api/addresses?email=${encodeURIComponent(email)}`, { as: 'admin' })).body.items[0]

  test('SMTP replies are classified by their enhanced status code; the type and quarantine follow', async () => {
    const ids = await importProfiles(h, 6)
    const emails = await Promise.all(ids.map(emailOf))
    const replies = new Map<string, { code: number; message: string }>([
      [emails[0], { code: 550, message: '5.1.1 no such user here' }],
      [emails[1], { code: 554, message: '5.7.1 message refused as spam' }],
      [emails[2], { code: 452, message: '4.2.2 mailbox full' }],
      [emails[3], { code: 550, message: '5.1.2 bad destination system' }],
      [emails[4], { code: 550, message: '5.2.1 mailbox disabled' }],
    ])
    h.sink.recipientRule = (to) => replies.get(to) ?? null
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'finished')

    const byProfile = new Map(
      (await logs(id)).items.map((l: { profileId: number }) => [l.profileId, l] as const),
    )
    expect(ids.map((p) => byProfile.get(p))).toEqual([
      expect.objectContaining({ status: 'failed', failureType: 'hard', failureCategory: 'user_unknown' }),
      expect.objectContaining({ status: 'failed', failureType: 'hard', failureCategory: 'refused' }),
      expect.objectContaining({ status: 'failed', failureType: 'soft', failureCategory: 'mailbox_full' }),
      // ACS: an invalid domain is soft even on a 5xx reply (DNS may be down for a while).
      expect.objectContaining({ status: 'failed', failureType: 'soft', failureCategory: 'invalid_domain' }),
      expect.objectContaining({ status: 'failed', failureType: 'hard', failureCategory: 'account_disabled' }),
      expect.objectContaining({ status: 'sent', failureCategory: null }),
    ])
    expect(await address(emails[0])).toMatchObject({ status: 'quarantined' })
    expect(await address(emails[2])).toMatchObject({ status: 'erroneous', errorCount: 1 })
    expect(await address(emails[3])).toMatchObject({ status: 'erroneous', errorCount: 1 })

    const refused = await logs(id, '&category=refused')
    expect(refused.items.map((l: { profileId: number }) => l.profileId)).toEqual([ids[1]])
    const bad = await h.api('GET', `/api/deliveries/${id}/sending-logs?category=spam`, { as: 'viewer' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('category')

    const kpis = (await h.api('GET', `/api/deliveries/${id}/kpis`, { as: 'viewer' })).body
    expect(kpis.failureCategories).toEqual({
      user_unknown: 1,
      invalid_domain: 1,
      mailbox_full: 1,
      account_disabled: 1,
      refused: 1,
      unreachable: 0,
      not_connected: 0,
      ignored: 0,
      other: 0,
    })
    expect(kpis.kpis).toMatchObject({ processed: 6, delivered: 1, bounces: 5 })

    // The dashboard filters the sending logs by category and shows it beside the failure.
    const viewer = dashboardClient(h)
    await viewer.logIn(h.tokens.viewer)
    const page = (await viewer.get(`/deliveries/${id}?tab=sending&category=refused`)).text
    expect(page).toContain('<caption>1 sending logs</caption>')
    expect(page).toContain('hard (refused): 554 5.7.1 message refused as spam')
    expect(page).toContain('<option value="refused" selected="">Refused (policy, spam)</option>')
  })

  test('an auto-reply reported as ignored is categorised, changes no address and is no bounce', async () => {
    const ids = await importProfiles(h, 2)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    const messageId = (p: number) => `<herald.d${id}.p${p}@herald.localhost>`
    const reported = await h.api('POST', '/api/bounces', {
      as: 'admin',
      body: {
        events: [
          { type: 'ignored', messageId: messageId(ids[0]), reason: 'Out of office until Monday' },
          { type: 'hard', messageId: messageId(ids[1]), reason: '550 5.1.1 mailbox unknown' },
        ],
      },
    })
    expect(reported.status).toBe(200)
    expect(reported.body.addresses).toHaveLength(1)

    expect((await logs(id, '&category=ignored')).items).toEqual([
      expect.objectContaining({ profileId: ids[0], status: 'sent', failureCategory: 'ignored' }),
    ])
    expect((await logs(id, '&category=user_unknown')).items).toEqual([
      expect.objectContaining({ profileId: ids[1], status: 'failed', failureType: 'hard' }),
    ])
    expect(await address(await emailOf(ids[0]))).toBeUndefined()
    const kpis = (await h.api('GET', `/api/deliveries/${id}/kpis`, { as: 'viewer' })).body
    expect(kpis.kpis).toMatchObject({ delivered: 1, bounces: 1 })
    expect(kpis.failureCategories).toMatchObject({ ignored: 1, user_unknown: 1 })
  })
})
