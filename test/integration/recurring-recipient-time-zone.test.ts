import { DateTime } from 'luxon'
import { importProfiles, startHarness, waitUntil, type Harness } from '../support/harness'
import { arrival, sendingLogs } from '../support/waves'
import { createRecurring, runsOf, stopAllRecurring, waitForRuns } from '../support/recurring'

/**
 * A recurring delivery sent at each recipient's local time: each occurrence's time is a wall-clock time
 * read in each profile's zone. Trigger runs the latest occurrence (in the recurrence's zone, UTC). With
 * an hourly cron at the minute coming in 25–85 s, that occurrence is nearly an hour ago: past in UTC (a
 * profile without a zone), due in 25–85 s in Etc/GMT+1 (UTC−1) and an hour later in Etc/GMT+2 (UTC−2).
 */
describe('a recurring delivery sent at each recipient’s local time', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  test('a triggered run sends the past wave at once, the next at its instant, and a stop leaves the last unsent', async () => {
    const profileIds = await importProfiles(
      h,
      3,
      (i) => ({ timeZone: [null, 'Etc/GMT+1', 'Etc/GMT+2'][i - 1] }),
      'rtz',
    )
    // An hourly cron at the minute of `planned`, 25–85 s ahead: the trigger stands for its latest
    // occurrence, an hour before, which comes in UTC−1 at `planned`.
    const planned = Math.ceil((Date.now() + 25_000) / 60_000) * 60_000
    const minute = new Date(planned).getUTCMinutes()
    const id = await createRecurring(h, {
      label: 'Hourly, local time',
      audience: { profileIds },
      recipientTimeZone: true,
      recurrence: { cron: `${minute} * * * *`, timeZone: 'UTC' },
    })
    const recurring = (await h.api('GET', `/api/recurring-deliveries/${id}`)).body
    expect(recurring.recipientTimeZone).toBe(true)
    // The schedule fires when the occurrence's time comes in the earliest zone (UTC+14).
    expect(recurring.schedule.nextRunsText[0]).toMatch(/ Etc\/GMT-14$/)

    expect((await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })).status).toBe(
      200,
    )
    const [run] = await waitForRuns(h, id, (r) => r.length >= 1 && r[0].status === 'sending', 30_000)
    const triggeredAt = Date.parse(run.scheduledAt)
    // The test only proves something if the second wave was still ahead when the run began.
    expect(triggeredAt).toBeLessThan(planned - 2000)
    expect(run.waves.map((w: { at: string }) => Date.parse(w.at))).toEqual([
      planned - 3600_000,
      planned,
      planned + 3600_000,
    ])
    expect(run.waves.map((w: { zones: string[] }) => w.zones)).toEqual([
      ['UTC'], // the profile without a zone is read in the recurrence's
      ['Etc/GMT+1'],
      ['Etc/GMT+2'],
    ])
    const wall = DateTime.fromMillis(planned - 3600_000, { zone: 'UTC' }).toFormat('yyyy-LL-dd HH:mm:ss')
    expect(run.waves[1].atText).toBe(`${wall} Etc/GMT+1`)

    const logs = await sendingLogs(h, run.executionId)
    const byProfile = new Map(logs.map((l) => [l.profileId, l]))
    const [past, soon, later] = profileIds.map((pid) => byProfile.get(pid)!)
    expect([past, soon, later].map((l) => Date.parse(l.plannedAt!))).toEqual([
      planned - 3600_000,
      planned,
      planned + 3600_000,
    ])

    // The wave already past goes at once, before the next wave's instant.
    const first = await waitUntil('the past wave to arrive', () => arrival(h, past.email), 20_000)
    expect(first.receivedAt.getTime()).toBeLessThan(planned)
    expect(arrival(h, soon.email)).toBeUndefined()

    // The second at its instant, measured from the sink's arrival time.
    const second = await waitUntil('the second wave to arrive', () => arrival(h, soon.email), 120_000)
    expect(Math.abs(second.receivedAt.getTime() - planned)).toBeLessThanOrEqual(2000)

    // The third is an hour ahead: pending with its planned time; the run and its execution show it next.
    const sending = await waitUntil(
      'the run to count the second wave sent',
      async () => {
        const found = (await runsOf(h, id)).find((r) => r.id === run.id)
        return found?.waves[1].sent === 1 ? found : null
      },
      20_000,
    )
    expect(sending.status).toBe('sending')
    expect(sending.waves.map((w: { recipients: number; sent: number }) => [w.recipients, w.sent])).toEqual([
      [1, 1],
      [1, 1],
      [1, 0],
    ])
    expect(Date.parse(sending.nextWave.at)).toBe(planned + 3600_000)
    const execution = (await h.api('GET', `/api/deliveries/${run.executionId}`)).body
    expect(execution).toMatchObject({ recipientTimeZone: true, status: 'sending' })
    expect(Date.parse(execution.nextWave.at)).toBe(planned + 3600_000)
    const executions = (await h.api('GET', `/api/recurring-deliveries/${id}/executions`)).body.items
    expect(executions.find((e: { id: number }) => e.id === run.executionId).waves).toHaveLength(3)
    const third = (await sendingLogs(h, run.executionId)).find((l) => l.profileId === later.profileId)!
    expect(third).toMatchObject({ status: 'pending', plannedAt: new Date(planned + 3600_000).toISOString() })

    // Stop: the run ends without its last wave, which stays pending and never arrives.
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })).status).toBe(200)
    const stopped = await waitUntil(
      'the run to stop',
      async () => {
        const found = (await runsOf(h, id)).find((r) => r.id === run.id)
        return found?.status === 'stopped' ? found : null
      },
      30_000,
    )
    expect(stopped.reason).toContain('stopped')
    expect(stopped.nextWave).toBeNull()
    expect((await h.api('GET', `/api/deliveries/${run.executionId}`)).body.status).toBe('stopped')
    expect((await sendingLogs(h, run.executionId)).find((l) => l.profileId === later.profileId)!.status).toBe(
      'pending',
    )
    expect(arrival(h, later.email)).toBeUndefined()
    // The schedule fired its own occurrence at the second wave's instant too (the hourly cron, read in
    // UTC+14): it asked the run to give way, the run went on with its waves, and the new run waited for it
    // (then the stop deleted the schedule): one run in all.
    expect((await runsOf(h, id)).map((r) => r.id)).toEqual([run.id])
  })

  test('a run confirmed before each send waits for its confirmation before the first wave', async () => {
    const profileIds = await importProfiles(h, 2, (i) => ({ timeZone: [null, 'Etc/GMT+1'][i - 1] }), 'rtzc')
    const [here, west] = profileIds
    // An hourly cron half an hour from now: its latest occurrence is about half an hour ago, so it is past
    // in UTC and comes in about half an hour in UTC−1; the schedule's own next run is half an hour away.
    const minute = new Date(Date.now() + 30 * 60_000).getUTCMinutes()
    const id = await createRecurring(
      h,
      {
        audience: { profileIds },
        recipientTimeZone: true,
        confirmBeforeEachSend: true,
        recurrence: { cron: `${minute} * * * *`, timeZone: 'UTC' },
      },
      'prepare',
    )
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [waiting] = await waitForRuns(h, id, (r) => r[0]?.status === 'waiting_for_confirmation', 30_000)
    expect(waiting.messagesToDeliver).toBe(2)
    expect(waiting.waves.map((w: { zones: string[] }) => w.zones)).toEqual([['UTC'], ['Etc/GMT+1']])
    const logs = await sendingLogs(h, waiting.executionId)
    const email = (pid: number) => logs.find((l) => l.profileId === pid)!.email
    // Unconfirmed, even the wave already past is held back.
    expect(logs.map((l) => l.status)).toEqual(['pending', 'pending'])
    expect(arrival(h, email(here))).toBeUndefined()

    const confirmUrl = `/api/recurring-deliveries/${id}/runs/${waiting.id}/confirm`
    const confirmed = await h.api('POST', confirmUrl, { as: 'start', body: { expectedMessages: 2 } })
    expect(confirmed.status).toBe(200)
    await waitUntil('the past wave to arrive once confirmed', () => arrival(h, email(here)), 20_000)
    const sending = await waitUntil(
      'the run to count its first wave sent',
      async () => {
        const found = (await runsOf(h, id)).find((r) => r.id === waiting.id)
        return found?.waves[0].sent === 1 ? found : null
      },
      20_000,
    )
    expect(sending).toMatchObject({ status: 'sending', confirmedBy: 'start-user' })
    expect(Date.parse(sending.nextWave.at)).toBeGreaterThan(Date.now())
    expect(arrival(h, email(west))).toBeUndefined()
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    await waitForRuns(h, id, (r) => r[0]?.status === 'stopped', 30_000)
    expect(arrival(h, email(west))).toBeUndefined()
  })

  test('recipientTimeZone needs a cron (a wall-clock time): with an interval, 400 naming the field', async () => {
    const profileIds = await importProfiles(h, 1)
    const count = async () =>
      (await h.api('GET', '/api/recurring-deliveries?pageSize=1', { as: 'viewer' })).body.total as number
    const before = await count()
    const res = await h.api('POST', '/api/recurring-deliveries', {
      as: 'creator',
      body: {
        label: 'Local',
        subject: 'S',
        text: 'T',
        audience: { profileIds },
        recipientTimeZone: true,
        recurrence: { every: '1h' },
      },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.field).toBe('recipientTimeZone')
    expect(await count()).toBe(before) // nothing created
  })
})
