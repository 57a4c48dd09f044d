import { openDatabase, type Database } from '../../persistence/database'
import { startAlertWatchdog, type AlertWatchdog } from '../../server/alert-watchdog'
import { importProfiles, readyDelivery, startHarness, waitUntil, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

const opsAddress = 'ops@alerts.test'
const minRateWindowMs = 8000

/**
 * The alerts beside bounce ratio and failed preparation: a delivery that fails, one confirmed that does
 * not start (no worker), one sending below the minimum rate. Each is recorded once per delivery, emailed
 * and queued as an `alert.raised` webhook event.
 */
describe('alerts', () => {
  let h: Harness
  /** The API process's watchdog, looking every 300 ms. */
  let watchdog: AlertWatchdog
  beforeAll(async () => {
    h = await startHarness({
      env: {
        HERALD_ALERT_EMAILS: opsAddress,
        HERALD_ALERT_START_PENDING: '2s',
        HERALD_ALERT_MIN_RATE: '60',
        HERALD_ALERT_MIN_RATE_WINDOW: String(minRateWindowMs),
        HERALD_ALERT_CHECK_INTERVAL: '300ms',
        // One SMTP connection: the sink's reply delay sets the rate (one message per delay).
        SMTP_POOL_SIZE: '1',
        // A batch whose transport keeps failing fails for good after 60 s (its shortest schedule-to-close).
        HERALD_VALIDITY: '5s',
      },
    })
    const hook = await h.api('POST', '/api/webhooks', {
      as: 'admin',
      body: { url: 'http://127.0.0.1:9/alerts', events: ['alert.raised'] },
    })
    expect(hook.status).toBe(201)
    watchdog = startAlertWatchdog({ db: h.db, config: h.config })
  })
  afterAll(async () => {
    await watchdog?.stop()
    await h?.close()
  })

  const alertsOf = async (deliveryId: number, criterion: string) => {
    const reply = await h.api('GET', `/api/alerts?deliveryId=${deliveryId}&criterion=${criterion}`, {
      as: 'viewer',
    })
    expect(reply.status).toBe(200)
    return reply.body.items as { criterion: string; message: string; emailedAt: string | null }[]
  }
  /** Alert emails the sink received for this delivery and criterion. */
  const emailsOf = async (deliveryId: number, criterion: string) => {
    const toOps = h.sink.messages.filter((m) => m.to.includes(opsAddress))
    const parsed = await Promise.all(toOps.map((m) => h.sink.parsed(m.seq)))
    return parsed.filter(
      (p) =>
        p.headers.get('x-herald-alert') === criterion &&
        p.headers.get('x-herald-delivery') === String(deliveryId),
    )
  }
  /** `alert.raised` events in the webhook outbox for this delivery and criterion. */
  const webhookEventsOf = async (deliveryId: number, criterion: string) => {
    const rows: { payload: string }[] = await h.db
      .knex('webhook_event')
      .select('payload')
      .where('type', 'alert.raised')
    return rows
      .map((r) => JSON.parse(r.payload))
      .filter((e) => e.data.delivery.id === deliveryId && e.data.alert.criterion === criterion)
  }
  /** Once the alert's email has left: exactly one alert, one email, one webhook event. */
  const expectRaisedOnce = async (deliveryId: number, criterion: string) => {
    await waitUntil(`the ${criterion} alert of delivery ${deliveryId} emailed`, async () => {
      const alerts = await alertsOf(deliveryId, criterion)
      return alerts.length > 0 && alerts[0].emailedAt !== null
    })
    const alerts = await alertsOf(deliveryId, criterion)
    expect(alerts).toHaveLength(1)
    expect(await emailsOf(deliveryId, criterion)).toHaveLength(1)
    expect(await webhookEventsOf(deliveryId, criterion)).toHaveLength(1)
    return alerts[0]
  }

  test('alerts filter by criterion; an unknown one is refused with 400 naming the field', async () => {
    const refused = await h.api('GET', '/api/alerts?criterion=slow', { as: 'viewer' })
    expect(refused.status).toBe(400)
    expect(refused.body.error.field).toBe('criterion')
  })

  test('a delivery whose batch fails for good raises one delivery_failed alert with the reason', async () => {
    const ids = await importProfiles(h, 3, undefined, 'failing')
    // The relay closes the channel for these recipients: the batch retries until it gives up.
    h.sink.recipientRule = (to) =>
      to.startsWith('failing') ? { code: 421, message: '4.3.2 service not available' } : null
    try {
      const id = await readyDelivery(h, ids, { label: 'Doomed' })
      await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
      const failed = await h.waitForStatus(id, 'failed', 150_000)
      expect(failed.sendError).toMatch(/421|unreachable/)

      const alert = await expectRaisedOnce(id, 'delivery_failed')
      expect(alert.message).toContain(`Delivery ${id} failed:`)
      expect(alert.message).toContain(failed.sendError)
      const [event] = await webhookEventsOf(id, 'delivery_failed')
      expect(event.data.delivery).toMatchObject({ id, label: 'Doomed', status: 'failed' })
      const [email] = await emailsOf(id, 'delivery_failed')
      expect(email.subject).toBe(`Herald alert: delivery ${id} "Doomed"`)
      expect(email.text).toContain(failed.sendError)

      // The delivery's page lists it, named as people say it.
      const browser = dashboardClient(h)
      await browser.logIn(h.tokens.viewer)
      const page = await browser.get(`/deliveries/${id}`)
      const table = /<table data-table="alerts">[\s\S]*?<\/table>/.exec(page.text)?.[0] ?? ''
      expect(table).toContain('<tr data-criterion="delivery_failed"><td>Delivery failed</td>')
    } finally {
      h.sink.recipientRule = null
    }
  })

  test('a send below HERALD_ALERT_MIN_RATE over the window raises min_rate; a fast one does not', async () => {
    // Fast: a message every 200 ms (about 300 a minute, five times the minimum), for longer than the window.
    h.sink.replyDelayMs = 200
    const fast = await readyDelivery(h, await importProfiles(h, 100), { label: 'Fast' })
    await h.api('POST', `/api/deliveries/${fast}/confirm`, { as: 'start' })
    const startedAt = new Date((await h.waitForStatus(fast, 'sending')).sendingStartedAt).getTime()
    await waitUntil('the fast send to have sent for longer than the window', () =>
      Date.now() > startedAt + minRateWindowMs + 1000 ? true : null,
    )
    await watchdog.check()
    // It was still sending when the watchdog looked (no status returns to sending once left).
    const during = (await h.api('GET', `/api/deliveries/${fast}`, { as: 'viewer' })).body
    expect(during.status).toBe('sending')
    await h.waitForStatus(fast, 'finished', 150_000)
    expect(await alertsOf(fast, 'min_rate')).toEqual([])

    // Slow: a message every 4 s, 15 a minute, below the minimum of 60.
    h.sink.replyDelayMs = 4000
    try {
      const slow = await readyDelivery(h, await importProfiles(h, 10), { label: 'Slow' })
      await h.api('POST', `/api/deliveries/${slow}/confirm`, { as: 'start' })
      await h.waitForStatus(slow, 'sending')
      const alert = await expectRaisedOnce(slow, 'min_rate')
      expect(alert.message).toMatch(/below the minimum of 60/)
      expect((await h.api('POST', `/api/deliveries/${slow}/stop`, { as: 'start' })).status).toBe(200)
      await h.waitForStatus(slow, 'stopped')
    } finally {
      h.sink.replyDelayMs = 0
    }
  })

  test('a confirmed delivery that no worker starts raises start_pending once, with two watchdogs looking', async () => {
    const contactDate = new Date(Date.now() + 3000)
    const id = await readyDelivery(h, await importProfiles(h, 2), {
      label: 'Stranded',
      contactDate: contactDate.toISOString(),
    })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    expect(confirmed.body.status).toBe('start_pending')
    // Not due yet: nothing to say.
    await watchdog.check()
    expect(await alertsOf(id, 'start_pending')).toEqual([])

    // No worker polls the task queue any more: the contact date passes and nothing starts the send.
    await h.stopWorker()
    const replica: Database = await openDatabase(h.databaseUrl)
    const second = startAlertWatchdog({ db: replica, config: h.config })
    try {
      const alert = await expectRaisedOnce(id, 'start_pending')
      expect(alert.message).toMatch(/has not started sending/)
      // Both replicas keep looking, at once: still one alert, one email, one event.
      await Promise.all([watchdog.check(), second.check(), watchdog.check(), second.check()])
      await expectRaisedOnce(id, 'start_pending')
      const stranded = (await h.api('GET', `/api/deliveries/${id}`, { as: 'viewer' })).body
      expect(stranded.status).toBe('start_pending')
      expect(Date.now()).toBeGreaterThan(contactDate.getTime() + 2000)
    } finally {
      await second.stop()
      await replica.close()
    }
  })
})
