import { deliveryStatsWorkflowId } from '../../workflows/stats-messages'
import {
  importProfiles,
  receivedFor,
  startHarness,
  untilClock,
  waitUntil,
  type Harness,
} from '../support/harness'
import {
  createRecurring,
  impatientApp,
  executionsOf,
  recurringSchedule,
  runsOf,
  scheduleIsDone,
  stopAllRecurring,
  waitForRuns,
  withStatus,
  zoneAroundNoon,
} from '../support/recurring'

/** Recurring deliveries on real Temporal schedules, with seconds-long intervals. */
describe('recurring deliveries', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_MIN_RECURRENCE: '1s' } })
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  const final = ['sent', 'skipped', 'expired', 'failed']
  const soon = (ms: number) => new Date(Date.now() + ms).toISOString()
  const sendingLogStatuses = async (deliveryId: number) => {
    const rows: { status: string; n: number | string }[] = await h.db
      .knex('sending_log')
      .where({ delivery_id: deliveryId })
      .groupBy('status')
      .select('status')
      .count('* as n')
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
  const everyMessageOnce = (id: number, count: number) => {
    const received = receivedFor(h, id)
    expect(received.size).toBe(count)
    expect([...received.values()].every((n) => n === 1)).toBe(true)
  }

  test('three runs without aggregation make three executions', async () => {
    const profileIds = await importProfiles(h, 3)
    const start = Date.now() + 1500
    // Runs 6 s apart: a run whose workflow a busy machine starts late is superseded by the next one and
    // skipped (Herald's rule for missed runs), so a shorter interval fails at load 16.
    const id = await createRecurring(h, {
      audience: { profileIds },
      recurrence: {
        every: '6s',
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + 14_000).toISOString(),
      },
    })
    const runs = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 3)
    // Past its end, the schedule has no run running and none to come: three it is, for good.
    await untilClock(start + 14_000)
    await waitUntil(`schedule of recurring ${id} to be done`, () => scheduleIsDone(h, id))
    expect(await runsOf(h, id)).toHaveLength(3)
    expect(runs.map((r) => r.messagesToDeliver)).toEqual([3, 3, 3])

    const executions = await executionsOf(h, id)
    expect(executions).toHaveLength(3)
    expect(new Set(runs.map((r) => r.executionId))).toEqual(new Set(executions.map((e) => e.id)))
    for (const execution of executions) {
      expect(execution).toMatchObject({
        status: 'finished',
        runs: 1,
        progress: { delivered: 3, processed: 3 },
      })
      everyMessageOnce(execution.id, 3)
      const asDelivery = (await h.api('GET', `/api/deliveries/${execution.id}`)).body
      expect(asDelivery).toMatchObject({ recurringId: id, status: 'finished', messagesToDeliver: 3 })
    }
    const parent = (await h.api('GET', `/api/recurring-deliveries/${id}`)).body
    expect(parent).toMatchObject({
      status: 'finished',
      totals: {
        executions: 3,
        runs: { sent: 3 },
        progress: { toDeliver: 9, delivered: 9 },
        kpis: { messagesToDeliver: 9, processed: 9, deliveredRate: 100, bounceRate: 0 },
      },
    })
  })

  test('runs inside one aggregation period make one execution, and no profile receives two messages from it', async () => {
    const segment = `agg-${Date.now()}`
    const first = await importProfiles(h, 3, () => ({ attributes: { segment } }))
    const start = Date.now() + 1500
    const id = await createRecurring(h, {
      audience: { filter: [{ field: 'attributes.segment', op: 'eq', value: segment }] },
      aggregation: 'day',
      recurrence: {
        every: '6s',
        timeZone: zoneAroundNoon(),
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + 14_000).toISOString(),
      },
    })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length >= 1)
    // The audience grows between runs: the next run adds only the newcomers to the same execution.
    const later = await importProfiles(h, 2, () => ({ attributes: { segment } }))
    const runs = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 3)
    // Which later run found the newcomers depends on when the import landed; exactly one did.
    const adding = runs.findIndex((r) => r.messagesToDeliver === 2)

    const executions = await executionsOf(h, id)
    expect(executions).toHaveLength(1)
    const [execution] = executions
    expect(execution).toMatchObject({ runs: 3, messagesToDeliver: 5, progress: { delivered: 5 } })
    expect(runs.map((r) => r.executionId)).toEqual([execution.id, execution.id, execution.id])
    expect(runs[0].messagesToDeliver).toBe(3)
    expect(adding).toBeGreaterThan(0)
    expect(runs.map((r) => r.messagesToDeliver).sort()).toEqual([0, 2, 3])
    expect(runs[adding].batches.first).toBe(runs[0].batches.first + runs[0].batches.count)
    everyMessageOnce(execution.id, 5)
    const logs = (await h.api('GET', `/api/deliveries/${execution.id}/sending-logs`)).body
    expect(logs.items.map((l: any) => l.profileId).sort()).toEqual([...first, ...later].sort())
    expect(runs[adding].progress).toMatchObject({ toDeliver: 2, delivered: 2 })
  })

  /** The stats workflow of an execution, as Temporal describes it. */
  const statsOf = (executionId: number) =>
    h.client.workflow
      .getHandle(deliveryStatsWorkflowId(executionId, h.config.temporal.workflowIdPrefix))
      .describe()

  test("an execution's opens and clicks are followed by one stats workflow, started by its first run; clicks lead to its links", async () => {
    const segment = `stats-${Date.now()}`
    const first = await importProfiles(h, 2, () => ({ attributes: { segment } }))
    const id = await createRecurring(h, {
      audience: { filter: [{ field: 'attributes.segment', op: 'eq', value: segment }] },
      aggregation: 'day',
      tracking: true,
      html: '<p>Hi {{firstName}} <a href="https://example.com/news">news</a></p>',
      recurrence: { every: '1h', timeZone: zoneAroundNoon() },
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    const stats = await statsOf(run.executionId)
    expect(stats).toMatchObject({
      status: { name: 'RUNNING' },
      parentExecution: { workflowId: run.workflowId },
    })
    // The run has ended; its execution's stats go on.
    expect(await h.client.workflow.getHandle(run.workflowId).result()).toMatchObject({ status: 'sent' })

    // A later run of the period adds a newcomer to the same execution and leaves its stats running.
    const [newcomer] = await importProfiles(h, 1, () => ({ attributes: { segment } }))
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const runs = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 2)
    expect(runs.map((r) => r.executionId)).toEqual([run.executionId, run.executionId])
    expect(runs[1].messagesToDeliver).toBe(1)
    expect(await statsOf(run.executionId)).toMatchObject({
      runId: stats.runId,
      status: { name: 'RUNNING' },
    })

    const html = async (profileId: number) => {
      const id = `<herald.d${run.executionId}.p${profileId}@herald.localhost>`
      return String((await h.sink.parsed(h.sink.messages.find((m) => m.messageId === id)!.seq)).html)
    }
    expect((await h.app.request(/<img src="([^"]+)"/.exec(await html(first[0]))![1])).status).toBe(200)
    const click = await h.app.request(/href="([^"]*\/t\/c\/[^"]+)"/.exec(await html(newcomer))![1])
    expect({ status: click.status, location: click.headers.get('location') }).toEqual({
      status: 302,
      location: 'https://example.com/news',
    })
    // Compute stats goes through the stats workflow, which stores the figures the parent's totals read.
    const computed = await h.api('POST', `/api/deliveries/${run.executionId}/compute-stats`, {
      as: 'approve',
    })
    expect(computed.body.kpis).toMatchObject({ delivered: 3, opens: 2, clicks: 1 })
    expect((await statsOf(run.executionId)).historyLength).toBeGreaterThan(stats.historyLength)
    const parent = (await h.api('GET', `/api/recurring-deliveries/${id}`)).body
    expect(parent.totals.kpis).toMatchObject({ delivered: 3, opens: 2, clicks: 1 })
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })

  test('a run waiting for confirmation sends nothing until confirmed, and expires when the next run is due', async () => {
    const profileIds = await importProfiles(h, 4)
    // Someone who may not start sends can set up a recurrence that asks for a confirmation each time.
    // Its occurrences are an hour apart: each run here is due when the test triggers it, however slow
    // the machine, so a run cannot expire before the test confirms it.
    const id = await createRecurring(
      h,
      { audience: { profileIds }, confirmBeforeEachSend: true, recurrence: { every: '1h' } },
      'prepare',
    )
    const trigger = async () =>
      expect(
        (await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })).status,
      ).toBe(200)
    await trigger()
    const [waiting] = await waitForRuns(h, id, (r) => withStatus(r, 'waiting_for_confirmation').length === 1)
    expect(waiting.messagesToDeliver).toBe(4)
    // The run records its own status, then its execution's: both say it waits.
    await waitUntil('the execution to be ready', async () => {
      const execution = await h.api('GET', `/api/deliveries/${waiting.executionId}`)
      return execution.body.status === 'ready'
    })
    // Waiting for its confirmation, the run holds every message back: none claimed, none sent.
    expect(await sendingLogStatuses(waiting.executionId)).toEqual({ pending: 4 })
    expect(receivedFor(h, waiting.executionId).size).toBe(0)

    const confirmUrl = `/api/recurring-deliveries/${id}/runs/${waiting.id}/confirm`
    const byWorkflowRole = await h.api('POST', confirmUrl, { as: 'workflow', body: { expectedMessages: 4 } })
    expect(byWorkflowRole.status).toBe(403)
    expect(byWorkflowRole.body.error.message).toContain('Start deliveries')
    expect((await h.api('POST', confirmUrl, { as: 'start', body: { expectedMessages: 5 } })).status).toBe(409)
    const confirmed = await h.api('POST', confirmUrl, { as: 'start', body: { expectedMessages: 4 } })
    expect(confirmed.status).toBe(200)
    expect(confirmed.body).toMatchObject({ status: 'sending', confirmedBy: 'start-user' })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)

    // The next run prepares and waits; nobody confirms it; the one after makes it expire.
    await trigger()
    await waitForRuns(h, id, (r) => r.length === 2 && withStatus(r, 'waiting_for_confirmation').length === 1)
    await trigger()
    const runs = await waitForRuns(h, id, (r) => withStatus(r, 'expired').length === 1 && r.length === 3)
    const [sent, expired, third] = runs
    expect(sent.status).toBe('sent')
    everyMessageOnce(sent.executionId, 4)
    expect(expired.executionId).not.toBe(sent.executionId)
    expect(receivedFor(h, expired.executionId).size).toBe(0)
    expect((await h.api('GET', `/api/deliveries/${expired.executionId}`)).body.status).toBe('stopped')
    const late = await h.api('POST', `/api/recurring-deliveries/${id}/runs/${expired.id}/confirm`, {
      as: 'start',
    })
    expect(late.status).toBe(409)
    expect(['started', 'preparing', 'waiting_for_confirmation']).toContain(third.status)

    // Stopping the recurrence expires the run still waiting; nothing more is sent.
    expect(
      (await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })).body.status,
    ).toBe('stopped')
    const after = await waitForRuns(h, id, (r) =>
      r.every((run) => ['sent', 'expired', 'skipped'].includes(run.status)),
    )
    expect(withStatus(after, 'sent')).toHaveLength(1)
    const executions = await executionsOf(h, id)
    expect(executions.reduce((n, e) => n + receivedFor(h, e.id).size, 0)).toBe(4)
  })

  test('pause stops new runs and resume restarts them', async () => {
    const profileIds = await importProfiles(h, 2)
    const id = await createRecurring(h, {
      audience: { profileIds },
      recurrence: { every: '2s', startsAt: soon(1500) },
    })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length >= 1)
    const paused = await h.api('POST', `/api/recurring-deliveries/${id}/pause`, { as: 'workflow' })
    const pausedAt = Date.now()
    expect(paused.body).toMatchObject({ status: 'paused', schedule: { paused: true } })
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/pause`, { as: 'workflow' })).status).toBe(
      409,
    )
    const whenPaused = (await waitForRuns(h, id, (r) => r.every((run) => final.includes(run.status)))).length
    // Two occurrences go by while paused (time itself must pass here); none may start a run.
    await untilClock(pausedAt + 2 * 2000 + 500)
    const resumedAt = Date.now()
    const resumed = await h.api('POST', `/api/recurring-deliveries/${id}/resume`, { as: 'workflow' })
    expect(resumed.body).toMatchObject({ status: 'active', schedule: { paused: false } })
    const runs = await waitForRuns(h, id, (r) => withStatus(r.slice(whenPaused), 'sent').length > 0)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    const scheduledWhilePaused = runs.filter((run) => {
      const at = Date.parse(run.scheduledAt)
      return at > pausedAt && at < resumedAt
    })
    expect(scheduledWhilePaused).toEqual([])
  })

  test('trigger now runs once', async () => {
    const profileIds = await importProfiles(h, 3)
    const id = await createRecurring(h, { audience: { profileIds }, recurrence: { every: '1h' } })
    const triggered = await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    expect(triggered.status).toBe(200)
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    // The schedule took one action, runs none now, and its next occurrence is an hour away.
    const { info } = await waitUntil('the triggered run to close', async () => {
      const described = await recurringSchedule(h, id).describe()
      return described.info.runningActions.length === 0 && described
    })
    expect(info.numActionsTaken).toBe(1)
    expect(info.nextActionTimes[0].getTime()).toBeGreaterThan(Date.now() + 30 * 60_000)
    expect(await runsOf(h, id)).toHaveLength(1)
    expect(await executionsOf(h, id)).toHaveLength(1)
    everyMessageOnce(run.executionId, 3)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })

  test('after the worker is down for several periods, one catch-up run happens', async () => {
    const profileIds = await importProfiles(h, 2)
    // Ten seconds apart: the catch-up run must begin before the next occurrence supersedes it, which
    // takes the returning worker a few workflow tasks and two activities — over 6 s at load 20.
    const interval = 10_000
    const start = Math.ceil((Date.now() + 1500) / 1000) * 1000
    const id = await createRecurring(h, {
      audience: { profileIds },
      recurrence: { every: '10s', startsAt: new Date(start).toISOString() },
    })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length >= 1)
    await h.stopWorker()
    const downAt = Date.now()
    // Come back just after an occurrence, 2 to 3 periods later, so the next one is a period away.
    const missed = Math.ceil((downAt + 2 * interval - start) / interval)
    await untilClock(start + missed * interval + 300)
    const upAt = Date.now()
    await h.startWorker()

    const lastMissed = new Date(start + missed * interval).toISOString()
    const runs = await waitForRuns(
      h,
      id,
      (r) => r.some((run) => run.scheduledAt === lastMissed && run.status === 'sent'),
      60_000,
    )
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    const inDowntime = runs.filter((run) => {
      const at = Date.parse(run.scheduledAt)
      return at > downAt && at < upAt
    })
    expect(withStatus(inDowntime, 'sent')).toHaveLength(1)
    expect(inDowntime.every((run) => ['sent', 'skipped'].includes(run.status))).toBe(true)
    const [catchUp] = withStatus(inDowntime, 'sent')
    expect(catchUp.scheduledAt).toBe(lastMissed)
    everyMessageOnce(catchUp.executionId, 2)
    const skipped = withStatus(inDowntime, 'skipped')
    expect(skipped.every((run) => run.executionId === null)).toBe(true)
  })

  test('bad recurrences are refused with 400 naming the field, and create nothing', async () => {
    const profileIds = await importProfiles(h, 1)
    const count = async () => Number((await h.db.knex('recurring_delivery').count('* as n'))[0].n)
    const before = await count()
    const valid = { label: 'L', subject: 'S', text: 'T', audience: { profileIds } }
    const cases: [Record<string, unknown>, string][] = [
      [
        { aggregation: 'week', confirmBeforeEachSend: true, recurrence: { every: '1h' } },
        'confirmBeforeEachSend',
      ],
      [{ recurrence: { every: 500 } }, 'recurrence.every'],
      [{ recurrence: { every: 'soon' } }, 'recurrence.every'],
      [{ recurrence: {} }, 'recurrence.cron'],
      [{ recurrence: { cron: '0 9 * * *', every: '1h' } }, 'recurrence.cron'],
      [{ recurrence: { cron: '0 25 * * *' } }, 'recurrence.cron'],
      [{ recurrence: { cron: '0 9 1 * MON' } }, 'recurrence.cron'],
      [{ recurrence: { every: '1h', timeZone: 'Mars/Olympus' } }, 'recurrence.timeZone'],
      [
        { recurrence: { every: '1h', startsAt: soon(7200_000), endsAt: soon(3600_000) } },
        'recurrence.endsAt',
      ],
      [{ recurrence: { every: '1h' }, aggregation: 'year' }, 'aggregation'],
      [{ recurrence: { every: '1h' }, audience: {} }, 'audience'],
    ]
    for (const [body, field] of cases) {
      const res = await h.api('POST', '/api/recurring-deliveries', { body: { ...valid, ...body } })
      expect({ field, status: res.status }).toEqual({ field, status: 400 })
      expect(res.body.error.field).toBe(field)
    }
    expect(await count()).toBe(before)
  })

  test('roles: sending on its own needs "Start deliveries"; the workflow role runs recurrences, a viewer does not', async () => {
    const profileIds = await importProfiles(h, 1)
    const body = {
      label: 'L',
      subject: 'S',
      text: 'T',
      audience: { profileIds },
      recurrence: { every: '1h' },
    }
    const byPreparer = await h.api('POST', '/api/recurring-deliveries', { as: 'prepare', body })
    expect(byPreparer.status).toBe(403)
    expect(byPreparer.body.error.message).toContain('Start deliveries')
    const id = await createRecurring(h, {
      audience: { profileIds },
      recurrence: { cron: '0 9 * * *', timeZone: 'Europe/Paris' },
    })
    const created = (await h.api('GET', `/api/recurring-deliveries/${id}`)).body
    expect(created.schedule.nextRuns.length).toBeGreaterThan(0)
    expect(
      new Date(created.schedule.nextRuns[0]).toLocaleString('en-GB', { timeZone: 'Europe/Paris' }),
    ).toMatch(/09:00:00/)
    const byViewer = await h.api('POST', `/api/recurring-deliveries/${id}/pause`, { as: 'viewer' })
    expect(byViewer.status).toBe(403)
    expect(byViewer.body.error.message).toContain('Workflow')
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/pause`, { as: 'workflow' })).status).toBe(
      200,
    )
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })).status).toBe(200)
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/resume`, { as: 'workflow' })).status).toBe(
      409,
    )
    expect((await h.api('GET', '/api/recurring-deliveries/9999')).status).toBe(404)
  })

  test('when Temporal does not describe the schedule in time, reads show the status last recorded and say so; commands still act', async () => {
    const id = await createRecurring(h, {
      audience: { profileIds: await importProfiles(h, 1) },
      recurrence: { every: '1h' },
    })
    const impatient = impatientApp(h)
    const call = async (method: string, path: string) => {
      const res = await impatient.request(path, {
        method,
        headers: { authorization: `Bearer ${h.tokens.workflow}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      })
      return { status: res.status, body: (await res.json()) as any }
    }
    const read = await call('GET', `/api/recurring-deliveries/${id}`)
    expect(read).toMatchObject({ status: 200, body: { id, status: 'active', schedule: null } })
    expect(read.body.scheduleUnanswered).toMatch(/^Temporal did not describe the schedule .+ within 0 s/)

    const paused = await call('POST', `/api/recurring-deliveries/${id}/pause`)
    expect(paused).toMatchObject({ status: 200, body: { status: 'paused', schedule: null } })
    const listed = await call('GET', `/api/recurring-deliveries?status=paused`)
    expect(listed.body.items.map((r: { id: number }) => r.id)).toContain(id)
    // Temporal did pause it; an API that waits sees so.
    const patient = await h.api('GET', `/api/recurring-deliveries/${id}`, { as: 'viewer' })
    expect(patient.body).toMatchObject({
      status: 'paused',
      schedule: { paused: true },
      scheduleUnanswered: null,
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })

  test('an execution is sent by its runs: the delivery commands refuse it with 409', async () => {
    const profileIds = await importProfiles(h, 1)
    const id = await createRecurring(h, { audience: { profileIds }, recurrence: { every: '1h' } })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    for (const command of ['prepare', 'stop']) {
      const res = await h.api('POST', `/api/deliveries/${run.executionId}/${command}`, { as: 'start' })
      expect({ command, status: res.status }).toEqual({ command, status: 409 })
      expect(res.body.error.message).toContain(`recurring delivery ${id}`)
    }
    expect((await h.api('DELETE', `/api/deliveries/${run.executionId}`)).status).toBe(409)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })
})
