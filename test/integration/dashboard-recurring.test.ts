import { importProfiles, receivedFor, startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'
import {
  createRecurring,
  impatientApp,
  runsOf,
  stopAllRecurring,
  waitForRuns,
  withStatus,
} from '../support/recurring'

/** The recurring deliveries' pages over HTTP (no browser): what they show, their forms, CSRF and refusals. */
describe('dashboard: recurring deliveries', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_MIN_RECURRENCE: '1s' } })
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  const loggedIn = async (role: 'start' | 'workflow' | 'viewer' | 'prepare') => {
    const client = dashboardClient(h)
    await client.logIn(h.tokens[role])
    return client
  }
  const recurring = async (id: number) => (await h.api('GET', `/api/recurring-deliveries/${id}`)).body
  const flashOf = (html: string) => /class="flash flash-(ok|error)"[^>]*>([^<]*)</.exec(html)?.slice(1)
  const decoded = (html: string) => html.replace(/&quot;/g, '"').replace(/&#39;/g, "'")

  /** A recurrence that asks before each send, run once now, and its run once it waits. */
  async function waitingRun(count: number, label: string) {
    const profileIds = await importProfiles(h, count)
    const id = await createRecurring(
      h,
      { label, audience: { profileIds }, confirmBeforeEachSend: true, recurrence: { every: '1h' } },
      'prepare',
    )
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'waiting_for_confirmation').length === 1)
    return { id, run }
  }

  test('the list shows each recurring delivery with its status, recurrence in words, next runs and totals', async () => {
    const profileIds = await importProfiles(h, 2)
    const daily = await createRecurring(h, {
      label: 'Morning digest',
      audience: { profileIds },
      recurrence: { cron: '0 9 * * MON-FRI', timeZone: 'Europe/Paris' },
    })
    const hourly = await createRecurring(h, {
      label: 'Hourly stock alert',
      audience: { profileIds },
      recurrence: { every: '1h' },
    })
    await h.api('POST', `/api/recurring-deliveries/${hourly}/pause`, { as: 'workflow' })

    const viewer = await loggedIn('viewer')
    const home = await viewer.get('/')
    expect(home.text).toContain('<a href="/recurring-deliveries">Recurring deliveries</a>')
    const list = await viewer.get('/recurring-deliveries')
    expect(list.status).toBe(200)
    expect(list.text).toContain('<a href="/recurring-deliveries" aria-current="page">')
    const row = (id: number) => {
      const start = list.text.indexOf(`<a href="/recurring-deliveries/${id}">`)
      return list.text.slice(start, list.text.indexOf('</tr>', start))
    }
    const nextRun = (await recurring(daily)).schedule.nextRuns[0]
    expect(row(daily)).toContain('Morning digest')
    expect(row(daily)).toContain('data-logical-status="in_progress">Active</span>')
    expect(row(daily)).toContain('At 09:00, Monday through Friday (Europe/Paris)')
    // 09:00 in Paris, named: never the UTC or server time without its zone.
    expect(row(daily)).toContain(
      `<time datetime="${nextRun}" data-seconds="" data-zone="Europe/Paris">${nextRun.slice(0, 10)} 09:00:00 Europe/Paris</time>`,
    )
    expect((await recurring(daily)).schedule.nextRunsText[0]).toBe(
      `${nextRun.slice(0, 10)} 09:00:00 Europe/Paris`,
    )
    expect(row(hourly)).toContain('data-logical-status="warning">Paused</span>')
    expect(row(hourly)).toContain('Every hour')
    expect(row(hourly)).toContain('None while paused')

    const paused = await viewer.get('/recurring-deliveries?status=paused')
    expect(paused.text).toContain('Hourly stock alert')
    expect(paused.text).not.toContain('Morning digest')
  })

  test('a recurring delivery’s page shows its schedule, totals, runs and executions, each execution linking to its delivery page', async () => {
    const profileIds = await importProfiles(h, 3)
    const id = await createRecurring(h, {
      label: 'Weekly news',
      audience: { profileIds },
      recurrence: { every: '1h' },
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    const r = await recurring(id)

    const page = await (await loggedIn('viewer')).get(`/recurring-deliveries/${id}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Every hour')
    expect(page.text).toContain('Running: a run starts at each occurrence.')
    expect(page.text).toContain(`<time datetime="${r.schedule.nextRuns[0]}" data-seconds="" data-zone="UTC">`)
    expect(page.text).toContain(`href="${r.temporalUrl}"`)
    expect(page.text).toContain(`Open the schedule ${r.scheduleId} in the Temporal UI`)
    expect(page.text).toMatch(/data-tile="toDeliver"[^>]*>3</)
    expect(page.text).toMatch(/data-tile="sent"[^>]*>3</)
    expect(page.text).toMatch(/data-tile="delivered"[^>]*>100 %</)
    expect(page.text).toContain('1 execution</span>; runs: <span data-field="runs-count">1 sent</span>')
    expect(page.text).toContain(`<tr data-run="${run.id}">`)
    expect(page.text).toMatch(new RegExp(`data-field="run-${run.id}-delivered">3<`))
    expect(page.text).toContain(`<a href="/deliveries/${run.executionId}">Execution ${run.executionId}</a>`)
    // A viewer may not pause, resume, trigger or stop.
    expect(page.text).not.toContain(`action="/recurring-deliveries/${id}/`)

    // The execution is a delivery: its page links back and offers none of the delivery commands.
    const execution = await (await loggedIn('start')).get(`/deliveries/${run.executionId}`)
    expect(execution.text).toContain(`<a href="/recurring-deliveries/${id}">recurring delivery ${id}</a>`)
    expect(execution.text).not.toMatch(/action="\/deliveries\/\d+\/(prepare|confirm|stop|pause)"/)
  })

  test('a start user confirms a waiting run with the count in its OK dialog, and the run sends', async () => {
    const { id, run } = await waitingRun(3, 'Confirmed each time')
    const starter = await loggedIn('start')
    const page = await starter.get(`/recurring-deliveries/${id}`)
    expect(page.text).toContain(`data-open-dialog="confirm-run-${run.id}"`)
    expect(page.text).toContain(
      `<form method="post" action="/recurring-deliveries/${id}/runs/${run.id}/confirm">`,
    )
    expect(page.text).toContain('<input type="hidden" name="expectedMessages" value="3"/>')
    expect(page.text).toMatch(/<strong data-field="confirm-count">3 messages<\/strong>/)
    expect(receivedFor(h, run.executionId).size).toBe(0)

    const csrf = await starter.csrfOf(`/recurring-deliveries/${id}`)
    const confirmed = await starter.post(`/recurring-deliveries/${id}/runs/${run.id}/confirm`, {
      _csrf: csrf,
      expectedMessages: '3',
    })
    expect(confirmed).toMatchObject({ status: 303, location: `/recurring-deliveries/${id}` })
    expect(flashOf((await starter.get(`/recurring-deliveries/${id}`)).text)).toEqual([
      'ok',
      `Run ${run.id} confirmed: sending.`,
    ])
    const [sent] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    expect(sent.confirmedBy).toBe('start-user')
    expect(receivedFor(h, sent.executionId).size).toBe(3)
  })

  test('Confirm refused: a wrong count, a workflow user (shown the missing role instead of the button), a form without its CSRF token or from another site', async () => {
    const { id, run } = await waitingRun(2, 'Refusals')
    const confirmPath = `/recurring-deliveries/${id}/runs/${run.id}/confirm`

    const operator = await loggedIn('workflow')
    const page = await operator.get(`/recurring-deliveries/${id}`)
    const missingRole =
      'You do not have the "Start deliveries" role (start) needed to confirm the send of a run.'
    expect(decoded(page.text)).toContain(`data-refusal="confirm">${missingRole}</p>`)
    expect(page.text).not.toContain(`action="${confirmPath}"`)
    // Posting the form anyway gets the API's own 403 message.
    await operator.post(confirmPath, {
      _csrf: await operator.csrfOf(`/recurring-deliveries/${id}`),
      expectedMessages: '2',
    })
    expect(decoded(flashOf((await operator.get(`/recurring-deliveries/${id}`)).text)![1])).toBe(missingRole)

    const starter = await loggedIn('start')
    const csrf = await starter.csrfOf(`/recurring-deliveries/${id}`)
    await starter.post(confirmPath, { _csrf: csrf, expectedMessages: '5' })
    expect(flashOf((await starter.get(`/recurring-deliveries/${id}`)).text)).toEqual([
      'error',
      'you confirmed 5 messages but this run prepared 2',
    ])
    expect((await starter.post(confirmPath, { expectedMessages: '2' })).status).toBe(403)
    const crossSite = await starter.post(
      confirmPath,
      { _csrf: csrf, expectedMessages: '2' },
      { origin: 'http://evil.example' },
    )
    expect(crossSite.status).toBe(403)

    const [still] = await runsOf(h, id)
    expect(still).toMatchObject({ id: run.id, status: 'waiting_for_confirmation' })
    expect(receivedFor(h, run.executionId).size).toBe(0)
  })

  test('the workflow role pauses, resumes, triggers and stops through the page’s forms; a viewer gets none and the API’s refusal', async () => {
    const profileIds = await importProfiles(h, 1)
    const id = await createRecurring(h, {
      label: 'Ops',
      audience: { profileIds },
      recurrence: { every: '1h' },
    })
    const path = `/recurring-deliveries/${id}`
    const operator = await loggedIn('workflow')
    const forms = async (client: ReturnType<typeof dashboardClient>) =>
      [...(await client.get(path)).text.matchAll(new RegExp(`action="${path}/(\\w+)"`, 'g'))].map((m) => m[1])

    expect(await forms(operator)).toEqual(['pause', 'trigger', 'stop'])
    await operator.post(`${path}/pause`, { _csrf: await operator.csrfOf(path) })
    expect(await recurring(id)).toMatchObject({ status: 'paused', schedule: { paused: true } })
    const pausedPage = await operator.get(path)
    expect(flashOf(pausedPage.text)).toEqual(['ok', 'Paused: no run starts until it is resumed.'])
    expect(pausedPage.text).toContain('Paused: no run starts until it is resumed.')
    expect(await forms(operator)).toEqual(['resume', 'trigger', 'stop'])

    await operator.post(`${path}/resume`, { _csrf: await operator.csrfOf(path) })
    expect(await recurring(id)).toMatchObject({ status: 'active', schedule: { paused: false } })
    // Resuming again is illegal: the API's 409 message comes back.
    await operator.post(`${path}/resume`, { _csrf: await operator.csrfOf(path) })
    expect(flashOf((await operator.get(path)).text)).toEqual([
      'error',
      'cannot resume a recurring delivery that is active',
    ])

    await operator.post(`${path}/trigger`, { _csrf: await operator.csrfOf(path) })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)

    const viewer = await loggedIn('viewer')
    expect(await forms(viewer)).toEqual([])
    await viewer.post(`${path}/stop`, { _csrf: await viewer.csrfOf(path) })
    expect(decoded(flashOf((await viewer.get(path)).text)![1])).toContain('"Workflow" role')
    expect((await recurring(id)).status).toBe('active')

    expect((await operator.post(`${path}/stop`, {})).status).toBe(403)
    expect((await recurring(id)).status).toBe('active')
    await operator.post(`${path}/stop`, { _csrf: await operator.csrfOf(path) })
    expect((await recurring(id)).status).toBe('stopped')
    expect(await forms(operator)).toEqual([])
    expect((await operator.get(path)).text).toContain('Stopped: the schedule is deleted, no run will start.')
  })

  test('the live figures come as JSON and name a new state when a run appears; unknown ids and actions are 404', async () => {
    const profileIds = await importProfiles(h, 2)
    const id = await createRecurring(h, {
      label: 'Live',
      audience: { profileIds },
      // No run before the trigger below, however long the log-in takes.
      recurrence: { every: '1h' },
    })
    const viewer = await loggedIn('viewer')
    const before = JSON.parse((await viewer.get(`/recurring-deliveries/${id}/live`)).text)
    expect(before).toMatchObject({ status: 'active', fields: {} })
    expect(before.refreshMs).toBeGreaterThan(0)
    expect(before.tiles).toEqual(
      expect.arrayContaining([{ key: 'toDeliver', label: 'To deliver', value: '0' }]),
    )

    expect((await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })).status).toBe(
      200,
    )
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length >= 1)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    await waitForRuns(h, id, (r) => r.every((one) => ['sent', 'expired', 'skipped'].includes(one.status)))
    const after = JSON.parse((await viewer.get(`/recurring-deliveries/${id}/live`)).text)
    expect(after.state).not.toBe(before.state)
    expect(after).toMatchObject({ status: 'stopped', refreshMs: null })
    expect(after.fields[`run-${run.id}-delivered`]).toBe('2')

    expect((await dashboardClient(h).get(`/recurring-deliveries/${id}/live`)).status).toBe(401)
    const unknown = await viewer.get('/recurring-deliveries/999999')
    expect(unknown.status).toBe(404)
    expect(unknown.text).toContain('recurring delivery 999999')
    const csrf = await viewer.csrfOf(`/recurring-deliveries/${id}`)
    expect((await viewer.post(`/recurring-deliveries/${id}/delete`, { _csrf: csrf })).status).toBe(404)
  })
  test('when Temporal does not describe the schedule in time, the page shows the status last recorded and says so', async () => {
    const id = await createRecurring(h, {
      label: 'Slow Temporal',
      audience: { profileIds: await importProfiles(h, 1) },
      recurrence: { every: '1h' },
    })
    const impatient = impatientApp(h)
    const viewer = dashboardClient({ ...h, app: impatient })
    await viewer.logIn(h.tokens.viewer)
    const page = await viewer.get(`/recurring-deliveries/${id}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Running: a run starts at each occurrence.')
    expect(page.text).toMatch(
      /class="flash flash-warning" role="status">Temporal did not describe the schedule [^<]+ within 0 s; the status shown is the last one recorded\.</,
    )
    const patient = await loggedIn('viewer')
    expect((await patient.get(`/recurring-deliveries/${id}`)).text).not.toContain('flash-warning')
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })
})
