import { workflowMetadataQuery } from '@temporalio/workflow'
import { DateTime } from 'luxon'
import {
  deliveryWorkflow,
  historyChain,
  importProfiles,
  readyDelivery,
  startHarness,
  untilClock,
  waitUntil,
  type Harness,
} from '../support/harness'
import { arrival, sendingLogs } from '../support/waves'

/**
 * Sending at each recipient's local time: the contact date, a wall-clock time, is read in each profile's
 * zone. Fixed-offset zones make the arithmetic plain: the same wall-clock time is an hour earlier in
 * Etc/GMT-1 (UTC+1), now + lead in UTC, and an hour later in Etc/GMT+1 (UTC−1).
 */
describe('a delivery sent at each recipient’s local time', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  /** A wall-clock time `leadMs` from now, as a contact date without offset ("2026-12-01T09:00:20"). */
  const wallClockIn = (leadMs: number) =>
    DateTime.fromMillis(Date.now() + leadMs, { zone: 'UTC' }).toFormat("yyyy-LL-dd'T'HH:mm:ss")

  /** Three profiles: the contact time is past in the first's zone, due in the second's, an hour ahead in the third's. */
  const threeZones = () =>
    importProfiles(h, 3, (i) => ({ timeZone: ['Etc/GMT-1', null, 'Etc/GMT+1'][i - 1] }), 'tz')

  test('each wave goes at its instant: the past one at once, the next on time, the last still pending', async () => {
    const profileIds = await threeZones()
    const contactDate = wallClockIn(25_000)
    const id = await readyDelivery(h, profileIds, { contactDate, timeZone: 'UTC', recipientTimeZone: true })

    const prepared = (await h.api('GET', `/api/deliveries/${id}`)).body
    expect(prepared.recipientTimeZone).toBe(true)
    const planned = DateTime.fromISO(contactDate, { zone: 'UTC' }).toMillis()
    expect(prepared.waves.map((w: { at: string }) => Date.parse(w.at))).toEqual([
      planned - 3600_000,
      planned,
      planned + 3600_000,
    ])
    expect(prepared.waves.map((w: { zones: string[] }) => w.zones)).toEqual([
      ['Etc/GMT-1'],
      ['UTC'], // the profile without a zone is read in the delivery's
      ['Etc/GMT+1'],
    ])
    expect(prepared.waves[1].atText).toBe(`${contactDate.replace('T', ' ')} UTC`)
    const logs = await sendingLogs(h, id)
    const byProfile = new Map(logs.map((l) => [l.profileId, l]))
    const [past, soon, later] = profileIds.map((pid) => byProfile.get(pid)!)
    expect([past, soon, later].map((l) => Date.parse(l.plannedAt!))).toEqual([
      planned - 3600_000,
      planned,
      planned + 3600_000,
    ])

    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 3 },
    })
    expect(confirmed.status).toBe(200)
    expect(confirmed.body.status).toBe('sending')
    const confirmedAt = Date.now()
    // The test only proves something if the second wave was still ahead at the confirmation.
    expect(confirmedAt).toBeLessThan(planned - 2000)

    // The wave already past goes at once, before the next wave's instant.
    const first = await waitUntil('the past wave to arrive', () => arrival(h, past.email), 20_000)
    expect(first.receivedAt.getTime()).toBeLessThan(planned)

    // Meanwhile the workflow waits for the next wave, and says so.
    const waiting = await waitUntil(
      'the workflow to say it waits for wave 2',
      async () => {
        const { currentDetails } = await deliveryWorkflow(h, id).query(workflowMetadataQuery)
        return currentDetails?.includes('waiting for wave 2 of 3') ? currentDetails : null
      },
      20_000,
    )
    expect(waiting).toContain(`${contactDate.replace('T', ' ')} UTC`)
    expect(arrival(h, soon.email)).toBeUndefined()

    // The second wave at its instant, measured from the sink's arrival time.
    const second = await waitUntil('the second wave to arrive', () => arrival(h, soon.email), 60_000)
    expect(Math.abs(second.receivedAt.getTime() - planned)).toBeLessThanOrEqual(2000)

    // The third is an hour ahead: still pending, with its planned time, and the delivery shows it next.
    const view = await waitUntil(
      'the delivery to count the second wave sent',
      async () => {
        const body = (await h.api('GET', `/api/deliveries/${id}`)).body
        return body.waves[1].sent === 1 ? body : null
      },
      20_000,
    )
    expect(view.status).toBe('sending')
    expect(view.waves.map((w: { recipients: number; sent: number }) => [w.recipients, w.sent])).toEqual([
      [1, 1],
      [1, 1],
      [1, 0],
    ])
    expect(Date.parse(view.nextWave.at)).toBe(planned + 3600_000)
    const third = (await sendingLogs(h, id)).find((l) => l.profileId === later.profileId)!
    expect(third).toMatchObject({ status: 'pending', plannedAt: new Date(planned + 3600_000).toISOString() })
    expect(arrival(h, later.email)).toBeUndefined()
    // Each wave sent ends its run: the workflow continued as new before waiting for the next one.
    expect((await historyChain(h, deliveryWorkflow(h, id).workflowId)).length).toBeGreaterThan(1)
    await waitUntil(
      'the workflow to say it waits for wave 3',
      async () =>
        (await deliveryWorkflow(h, id).query(workflowMetadataQuery)).currentDetails?.includes(
          'waiting for wave 3 of 3',
        ),
      20_000,
    )

    // Stop acts on the remaining wave: it is never sent.
    const stopped = await h.api('POST', `/api/deliveries/${id}/stop`, { as: 'start' })
    expect(stopped.body.status).toBe('stopped')
    await deliveryWorkflow(h, id).result()
    expect((await sendingLogs(h, id)).find((l) => l.profileId === later.profileId)!.status).toBe('pending')
    expect(arrival(h, later.email)).toBeUndefined()
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.nextWave).toBeNull()
  })

  test('pause holds the remaining waves past their instant; resume sends them', async () => {
    const profileIds = await importProfiles(h, 2, (i) => ({ timeZone: ['Etc/GMT-1', 'UTC'][i - 1] }), 'tzp')
    const contactDate = wallClockIn(15_000)
    const planned = DateTime.fromISO(contactDate, { zone: 'UTC' }).toMillis()
    const id = await readyDelivery(h, profileIds, { contactDate, recipientTimeZone: true })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
    const [pastLog, dueLog] = await Promise.all(
      profileIds.map(async (pid) => (await sendingLogs(h, id)).find((l) => l.profileId === pid)!),
    )
    await waitUntil('the past wave to arrive', () => arrival(h, pastLog.email), 20_000)
    expect(Date.now()).toBeLessThan(planned)
    const paused = await h.api('POST', `/api/deliveries/${id}/pause`, { as: 'start' })
    expect(paused.body.status).toBe('paused')

    // Past the second wave's instant, a paused delivery sends nothing.
    await untilClock(planned + 3000)
    expect(arrival(h, dueLog.email)).toBeUndefined()
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.nextWave).toMatchObject({
      sent: 0,
      unfinished: 1,
    })

    const resumed = await h.api('POST', `/api/deliveries/${id}/resume`, { as: 'start' })
    expect(resumed.status).toBe(200)
    await h.waitForStatus(id, 'finished')
    expect(arrival(h, dueLog.email)).toBeDefined()
  })

  test('a new contact date while waiting for the first wave prepares the waves again', async () => {
    const profileIds = await importProfiles(h, 1, () => ({ timeZone: 'Etc/GMT+1' }), 'tzr')
    const id = await readyDelivery(h, profileIds, {
      contactDate: wallClockIn(3600_000),
      recipientTimeZone: true,
    })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    expect(confirmed.body.status).toBe('start_pending')
    const contactDate = wallClockIn(7200_000)
    const moved = await h.api('POST', `/api/deliveries/${id}/schedule`, { body: { contactDate } })
    expect(moved.status).toBe(200)
    const again = await h.waitForStatus(id, 'awaiting_approval')
    expect(again.confirmedBy).toBeNull()
    const [wave] = again.waves
    expect(Date.parse(wave.at)).toBe(DateTime.fromISO(contactDate, { zone: 'Etc/GMT+1' }).toMillis())
    const [log] = await sendingLogs(h, id)
    expect(log.plannedAt).toBe(wave.at)
  })

  test('a new contact time while sending moves the waves not sent yet; those sent keep their instant', async () => {
    const profileIds = await importProfiles(
      h,
      2,
      (i) => ({ timeZone: ['Etc/GMT-1', 'Etc/GMT+1'][i - 1] }),
      'tzm',
    )
    const id = await readyDelivery(h, profileIds, {
      contactDate: wallClockIn(0),
      timeZone: 'UTC',
      recipientTimeZone: true,
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const [pastLog, laterLog] = await Promise.all(
      profileIds.map(async (pid) => (await sendingLogs(h, id)).find((l) => l.profileId === pid)!),
    )
    await waitUntil('the past wave to arrive', () => arrival(h, pastLog.email), 20_000)
    await waitUntil(
      'the workflow to wait for wave 2',
      async () =>
        (await deliveryWorkflow(h, id).query(workflowMetadataQuery)).currentDetails?.includes(
          'waiting for wave 2 of 2',
        ),
      20_000,
    )
    const before = (await h.api('GET', `/api/deliveries/${id}`)).body.waves

    // 9:00 in UTC−1 is 10:00 UTC: a wall-clock time an hour before "now + 8 s" lands the wave 8 s from now.
    const contactDate = wallClockIn(8000 - 3600_000)
    const planned = DateTime.fromISO(contactDate, { zone: 'Etc/GMT+1' }).toMillis()
    const moved = await h.api('POST', `/api/deliveries/${id}/schedule`, { body: { contactDate } })
    expect(moved.status).toBe(200)
    expect(moved.body.status).toBe('sending')
    expect(moved.body.waves[0].at).toBe(before[0].at)
    expect(Date.parse(moved.body.waves[1].at)).toBe(planned)
    expect((await sendingLogs(h, id)).find((l) => l.profileId === laterLog.profileId)!.plannedAt).toBe(
      new Date(planned).toISOString(),
    )
    const second = await waitUntil('the moved wave to arrive', () => arrival(h, laterLog.email), 60_000)
    expect(second.receivedAt.getTime()).toBeGreaterThanOrEqual(planned)
    await h.waitForStatus(id, 'finished')
  })

  test('recipientTimeZone needs a contact date without an offset: otherwise 400 naming the field', async () => {
    const profileIds = await importProfiles(h, 1)
    const base = {
      label: 'Local',
      subject: 'S',
      text: 'T',
      audience: { profileIds },
      recipientTimeZone: true,
    }
    const count = async () => (await h.api('GET', '/api/deliveries?pageSize=1')).body.total as number
    const before = await count()
    const noDate = await h.api('POST', '/api/deliveries', { body: base })
    expect(noDate.status).toBe(400)
    expect(noDate.body.error.field).toBe('recipientTimeZone')
    const withOffset = await h.api('POST', '/api/deliveries', {
      body: { ...base, contactDate: '2030-01-01T09:00:00+01:00' },
    })
    expect(withOffset.status).toBe(400)
    expect(withOffset.body.error.field).toBe('contactDate')
    const utc = await h.api('POST', '/api/deliveries', {
      body: { ...base, contactDate: '2030-01-01T09:00Z' },
    })
    expect(utc.status).toBe(400)
    expect(utc.body.error.field).toBe('contactDate')
    expect(await count()).toBe(before) // nothing created

    const created = await h.api('POST', '/api/deliveries', {
      body: { ...base, contactDate: '2030-01-01T09:00' },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ recipientTimeZone: true, waves: null, nextWave: null })
    const moved = await h.api('POST', `/api/deliveries/${created.body.id}/schedule`, {
      body: { contactDate: '2030-01-02T09:00:00.000Z' },
    })
    expect(moved.status).toBe(400)
    expect(moved.body.error.field).toBe('contactDate')

    // An edit turns it on only for a delivery that has a contact date.
    const plain = await h.api('POST', '/api/deliveries', {
      body: { label: 'Plain', subject: 'S', text: 'T', audience: { profileIds } },
    })
    const refused = await h.api('PATCH', `/api/deliveries/${plain.body.id}`, {
      body: { recipientTimeZone: true },
    })
    expect(refused.status).toBe(400)
    expect(refused.body.error.field).toBe('recipientTimeZone')
    await h.api('POST', `/api/deliveries/${plain.body.id}/schedule`, {
      body: { contactDate: '2030-01-01T09:00' },
    })
    const on = await h.api('PATCH', `/api/deliveries/${plain.body.id}`, { body: { recipientTimeZone: true } })
    expect(on.status).toBe(200)
    expect(on.body.recipientTimeZone).toBe(true)
  })
})
