import {
  deliveryWorkflow,
  importProfiles,
  readyDelivery,
  receivedFor,
  startHarness,
  type Harness,
} from '../support/harness'

describe('scheduling a delivery', () => {
  let h: Harness
  let profileIds: number[]
  beforeAll(async () => {
    h = await startHarness()
    profileIds = await importProfiles(h, 5)
  })
  afterAll(() => h?.close())

  const activitiesScheduled = async (id: number) => {
    const history = await deliveryWorkflow(h, id).fetchHistory()
    return (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name
        ? [e.activityTaskScheduledEventAttributes.activityType.name]
        : [],
    )
  }

  test('a scheduled delivery sends nothing before its contact date and everything after', async () => {
    // Far enough ahead that preparing, approving and confirming on a busy machine end before it.
    const contactDate = new Date(Date.now() + 10_000)
    const id = await readyDelivery(h, profileIds, { contactDate: contactDate.toISOString() })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 5 },
    })
    expect(confirmed.body.status).toBe('start_pending')
    await h.waitForStatus(id, 'finished')
    // Every message's arrival time is the proof that nothing left before the contact date.
    const times = h.sink.messages
      .filter((m) => m.messageId?.startsWith(`<herald.d${id}.`))
      .map((m) => m.receivedAt.getTime())
    expect(times).toHaveLength(5)
    expect(Math.min(...times)).toBeGreaterThanOrEqual(contactDate.getTime())
  })

  test('a contact date already past sends at once', async () => {
    const id = await readyDelivery(h, profileIds, {
      contactDate: new Date(Date.now() - 3600_000).toISOString(),
    })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    expect(confirmed.body.status).toBe('sending')
    await h.waitForStatus(id, 'finished')
    expect(receivedFor(h, id).size).toBe(5)
  })

  test('rescheduling while waiting needs no new preparation, only a new confirmation for the new date', async () => {
    const id = await readyDelivery(h, profileIds, {
      contactDate: new Date(Date.now() + 3600_000).toISOString(),
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const contactDate = new Date(Date.now() + 2000)
    const moved = await h.api('POST', `/api/deliveries/${id}/schedule`, {
      body: { contactDate: contactDate.toISOString() },
    })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ status: 'ready', messagesToDeliver: 5 })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 5 },
    })
    expect(['start_pending', 'sending']).toContain(confirmed.body.status)
    await h.waitForStatus(id, 'finished')
    expect(receivedFor(h, id).size).toBe(5)
  })

  test('stopping while waiting for the contact date cancels the send', async () => {
    const id = await readyDelivery(h, profileIds, {
      contactDate: new Date(Date.now() + 3600_000).toISOString(),
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const stopped = await h.api('POST', `/api/deliveries/${id}/stop`, { as: 'start' })
    expect(stopped.body.status).toBe('stopped')
    // Its workflow has ended without ever scheduling a batch: nothing can be sent, at the date or later.
    await deliveryWorkflow(h, id).result()
    expect(await activitiesScheduled(id)).not.toContain('sendBatch')
    expect(receivedFor(h, id).size).toBe(0)
    expect(
      (await h.api('POST', `/api/deliveries/${id}/schedule`, { body: { contactDate: null } })).status,
    ).toBe(409)
  })

  test('a new schedule before the confirmation needs a new preparation', async () => {
    const id = await readyDelivery(h, profileIds)
    const scheduled = await h.api('POST', `/api/deliveries/${id}/schedule`, {
      body: { contactDate: '2030-01-01T09:00', timeZone: 'Europe/Paris' },
    })
    expect(scheduled.body).toMatchObject({
      status: 'draft',
      contactDate: '2030-01-01T08:00:00.000Z',
      timeZone: 'Europe/Paris',
    })
    expect((await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })).status).toBe(409)
  })
})
