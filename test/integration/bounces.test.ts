import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'

const day = 24 * 3600_000

/** Synchronous bounces (SMTP replies), asynchronous ones (the webhook), quarantine and alerts. */
describe('bounces and quarantine', () => {
  let h: Harness
  /** The worker's clock runs this far ahead of the real one. */
  let clockOffset = 0
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_ALERT_EMAILS: 'ops@example.com, lead@example.com' } })
    await h.stopWorker()
    await h.startWorker({ clock: () => new Date(Date.now() + clockOffset) })
  })
  afterAll(() => h?.close())

  const emailOf = async (profileId: number): Promise<string> =>
    (await h.api('GET', `/api/profiles/${profileId}`)).body.email
  const address = async (email: string) =>
    (await h.api('GET', `/api/addresses?email=${encodeURIComponent(email)}`, { as: 'admin' })).body.items[0]
  const send = async (profileIds: number[]) => {
    const id = await readyDelivery(h, profileIds)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    return h.waitForStatus(id, 'finished')
  }
  const exclusionOf = async (profileIds: number[]) => {
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Next', subject: 'S', text: 'T', audience: { profileIds } },
    })
    await h.api('POST', `/api/deliveries/${created.body.id}/prepare`)
    await h.waitForStatus(created.body.id, ['awaiting_approval', 'preparation_failed'])
    return (await h.api('GET', `/api/deliveries/${created.body.id}/exclusion-logs`, { as: 'viewer' })).body
      .items
  }
  const bounces = (events: unknown[], as: 'admin' | 'start' = 'admin') =>
    h.api('POST', '/api/bounces', { as, body: { events } })

  afterEach(() => {
    h.sink.recipientRule = null
    clockOffset = 0
  })

  test('an SMTP 550 reply quarantines the address at once; an administrator can release it', async () => {
    const ids = await importProfiles(h, 3)
    const victim = await emailOf(ids[1])
    h.sink.recipientRule = (to) => (to === victim ? { code: 550, message: '5.1.1 user unknown' } : null)
    const finished = await send(ids)
    expect(finished.kpis).toMatchObject({ processed: 3, delivered: 2, bounces: 1, bounceRate: 33.33 })
    expect(await address(victim)).toMatchObject({ status: 'quarantined', errorCount: 1 })
    expect(await exclusionOf(ids)).toEqual([
      expect.objectContaining({ profileId: ids[1], reason: 'quarantined' }),
    ])

    const listed = (await h.api('GET', '/api/addresses?status=quarantined', { as: 'admin' })).body.items
    expect(listed.map((a: { email: string }) => a.email)).toContain(victim.toLowerCase())
    expect((await h.api('GET', '/api/addresses', { as: 'start' })).status).toBe(403)
    expect(
      (await h.api('POST', `/api/addresses/${encodeURIComponent(victim)}/release`, { as: 'start' })).status,
    ).toBe(403)
    const released = await h.api('POST', `/api/addresses/${encodeURIComponent(victim)}/release`, {
      as: 'admin',
    })
    expect(released.body).toMatchObject({ status: 'valid', errorCount: 0 })
    expect(await exclusionOf(ids)).toEqual([])
    expect((await h.api('POST', '/api/addresses/nobody%40example.com/release', { as: 'admin' })).status).toBe(
      404,
    )
  })

  test('five soft bounces a day apart quarantine the address (clock injected)', async () => {
    const [id] = await importProfiles(h, 1)
    const email = await emailOf(id)
    h.sink.recipientRule = (to) => (to === email ? { code: 452, message: '4.2.2 mailbox full' } : null)
    for (let n = 1; n <= 5; n++) {
      clockOffset = n * day
      const finished = await send([id])
      expect(finished.kpis).toMatchObject({ bounces: 1 })
      expect(await address(email)).toMatchObject({
        status: n < 5 ? 'erroneous' : 'quarantined',
        errorCount: n,
        reason: '452 4.2.2 mailbox full',
      })
    }
    expect(await exclusionOf([id])).toEqual([expect.objectContaining({ reason: 'quarantined' })])
  })

  test('a successful send clears "erroneous"', async () => {
    const [id] = await importProfiles(h, 1)
    const email = await emailOf(id)
    h.sink.recipientRule = (to) => (to === email ? { code: 451, message: '4.3.0 try later' } : null)
    clockOffset = 5 * day
    await send([id])
    expect(await address(email)).toMatchObject({ status: 'erroneous', errorCount: 1 })
    h.sink.recipientRule = null
    await send([id])
    expect(await address(email)).toMatchObject({ status: 'valid', errorCount: 0 })
  })

  test('soft bounces reported by the webhook count once a day, and ten quiet days reset the count', async () => {
    const email = `soft-${Date.now()}@example.com`
    const t0 = Date.UTC(2026, 0, 1)
    const soft = (at: number) => ({
      type: 'soft',
      email,
      reason: 'mailbox full',
      at: new Date(at).toISOString(),
    })
    const stored = async () => h.db.knex('address_status').where('email', email).first()
    const reported = await bounces([0, 0.5, 1, 2, 3].map((d) => soft(t0 + d * day)))
    expect(reported.status).toBe(200)
    expect(reported.body.addresses.at(-1)).toMatchObject({ email, status: 'erroneous' })
    expect(await stored()).toMatchObject({ status: 'erroneous', error_count: 4 })
    // A fifth error would quarantine; after ten quiet days it is the first of a new count.
    await bounces([soft(t0 + 13 * day)])
    expect(await stored()).toMatchObject({ status: 'erroneous', error_count: 1 })
    await bounces([soft(t0 + 14 * day)])
    expect(await stored()).toMatchObject({ status: 'erroneous', error_count: 2 })
  })

  test('an asynchronous hard bounce by Message-ID fails the sent message and quarantines the address', async () => {
    const ids = await importProfiles(h, 2)
    const finished = await send(ids)
    const messageId = `<herald.d${finished.id}.p${ids[0]}@herald.localhost>`
    const reported = await bounces([{ type: 'hard', messageId, reason: '550 5.1.1 no such user' }])
    expect(reported.status).toBe(200)
    expect(reported.body.addresses[0]).toMatchObject({
      email: (await emailOf(ids[0])).toLowerCase(),
      status: 'quarantined',
    })
    const failed = await h.api('GET', `/api/deliveries/${finished.id}/sending-logs?failureReason=NO%20SUCH`, {
      as: 'viewer',
    })
    expect(failed.body.items).toEqual([
      expect.objectContaining({ profileId: ids[0], status: 'failed', failureType: 'hard' }),
    ])
    expect(
      (await h.api('GET', `/api/deliveries/${finished.id}/kpis`, { as: 'viewer' })).body.kpis,
    ).toMatchObject({
      delivered: 1,
      bounces: 1,
    })
  })

  test('a spam complaint denylists the address', async () => {
    const [id] = await importProfiles(h, 1)
    const email = await emailOf(id)
    const reported = await bounces([{ type: 'complaint', email: email.toUpperCase() }])
    expect(reported.body.addresses[0]).toMatchObject({ email: email.toLowerCase(), status: 'denylisted' })
    expect(await exclusionOf([id])).toEqual([expect.objectContaining({ reason: 'denylisted' })])
  })

  test('a bounce report is checked whole: one bad event refuses it with 400 and changes nothing', async () => {
    const email = `untouched-${Date.now()}@example.com`
    const refused = await bounces([
      { type: 'hard', email },
      { type: 'hard', messageId: '<herald.d999999.p1@herald.localhost>' },
    ])
    expect(refused.status).toBe(400)
    expect(refused.body.error.field).toBe('events.1.messageId')
    expect((await bounces([{ type: 'hard', email, messageId: '<x@y>' }])).body.error.field).toBe('events.0')
    expect((await bounces([{ type: 'bounce', email }])).body.error.field).toBe('events.0.type')
    expect(await address(email)).toBeUndefined()
    expect((await bounces([{ type: 'hard', email }], 'start')).status).toBe(403)
  })

  test('a bounce ratio above 5 % records one alert and emails it', async () => {
    const ids = await importProfiles(h, 10)
    const victim = await emailOf(ids[4])
    h.sink.recipientRule = (to) => (to === victim ? { code: 550, message: '5.1.1 user unknown' } : null)
    const finished = await send(ids)
    const alerts = (await h.api('GET', `/api/alerts?deliveryId=${finished.id}`, { as: 'viewer' })).body.items
    expect(alerts).toEqual([
      expect.objectContaining({ criterion: 'bounce_ratio', emailedTo: 'ops@example.com, lead@example.com' }),
    ])
    expect(alerts[0].message).toContain('1 of 10 processed messages')
    const toOps = h.sink.messages.filter((m) => m.to.includes('ops@example.com'))
    const subjects = await Promise.all(toOps.map(async (m) => (await h.sink.parsed(m.seq)).subject))
    const emailed = toOps.filter((_, i) => subjects[i] === `Herald alert: delivery ${finished.id} "Test"`)
    expect(emailed).toHaveLength(1)
    expect(emailed[0].to).toEqual(['ops@example.com', 'lead@example.com'])
  })

  test('a failed preparation records an alert', async () => {
    const ids = await importProfiles(h, 1)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Broken', subject: 'Hi {{nickname}}', text: 'T', audience: { profileIds: ids } },
    })
    await h.api('POST', `/api/deliveries/${created.body.id}/prepare`)
    await h.waitForStatus(created.body.id, 'preparation_failed')
    const alerts = (await h.api('GET', `/api/alerts?deliveryId=${created.body.id}`, { as: 'viewer' })).body
      .items
    expect(alerts).toEqual([expect.objectContaining({ criterion: 'preparation_failed' })])
    expect(alerts[0].message).toContain('unknown personalisation field {{nickname}}')
  })
})
