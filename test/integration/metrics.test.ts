import { freePort } from '../../runtime/dev-server'
import { countSendingLogs } from '../../persistence/sending-logs'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../faults/processes'

/** A sample's value in Prometheus text (0 when absent). */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `))
  return line ? Number(line.split(' ').pop()) : 0
}

/**
 * Two worker processes share a 2,000-message send: the messages each counts in its metrics add up to the
 * sending logs recorded as sent, and to what the SMTP server received. Each also serves the Temporal
 * SDK's own metrics; the API serves its request metrics on /metrics and echoes a request id.
 */
describe('Prometheus metrics', () => {
  const profiles = 2_000
  let h: Harness
  const workers: { process: WorkerProcess; metrics: string; temporal: string }[] = []

  beforeAll(async () => {
    h = await startHarness({ inProcessWorker: false, env: { HERALD_BATCH_SIZE: '100' } })
    for (let i = 0; i < 2; i++) {
      const [port, temporalPort] = [await freePort(), await freePort()]
      const env = workerEnv(h, {
        HERALD_METRICS_HOST: '127.0.0.1',
        HERALD_METRICS_PORT: String(port),
        HERALD_TEMPORAL_METRICS_PORT: String(temporalPort),
      })
      workers.push({
        process: startWorkerProcess(env),
        metrics: `http://127.0.0.1:${port}/metrics`,
        temporal: `http://127.0.0.1:${temporalPort}/metrics`,
      })
    }
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.process.kill('SIGTERM')))
    await h?.close()
  })

  const scrape = async (url: string) => {
    const res = await fetch(url)
    if (!res.ok) throw new Error(`${url}: ${res.status}`)
    return res.text()
  }

  test('herald_messages_total{status="sent"} summed over both workers equals the sent logs and the sink', async () => {
    for (const w of workers)
      await waitUntil(`${w.metrics} to answer`, () => scrape(w.metrics).catch(() => null), 60_000)
    const ids = await importProfiles(h, profiles)
    const id = await readyDelivery(h, ids)
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    expect(confirmed.status).toBe(200)
    await h.waitForStatus(id, 'finished', 300_000)

    const texts = await Promise.all(workers.map((w) => scrape(w.metrics)))
    const sentPerWorker = texts.map((t) => sample(t, 'herald_messages_total', 'status="sent"'))
    const sentLogs = (await countSendingLogs(h.db, id)).sent
    const received = [...receivedFor(h, id).values()].reduce((a, b) => a + b, 0)
    console.log(`sent per worker ${sentPerWorker.join(' + ')}; sent logs ${sentLogs}; sink ${received}`)
    expect(sentLogs).toBe(profiles)
    expect(sentPerWorker.reduce((a, b) => a + b, 0)).toBe(sentLogs)
    expect(received).toBe(sentLogs)

    const completed = texts.map((t) => sample(t, 'herald_batches_total', 'outcome="completed"'))
    expect(completed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(profiles / 100)
    for (const text of texts) {
      expect(sample(text, 'herald_messages_in_flight')).toBe(0)
      expect(text).toMatch(/^herald_smtp_send_seconds_count \d+/m)
      expect(text).toMatch(/^process_cpu_seconds_total /m)
    }
    const smtpCounts = texts.map((t) => sample(t, 'herald_smtp_send_seconds_count'))
    expect(smtpCounts.reduce((a, b) => a + b, 0)).toBe(received)
  })

  test("each worker serves the Temporal SDK's own metrics on its second port", async () => {
    for (const w of workers) {
      const text = await waitUntil(`${w.temporal}`, async () => {
        const body = await scrape(w.temporal).catch(() => '')
        return /temporal_worker_task_slots_available/.test(body) ? body : null
      })
      expect(text).toMatch(
        /temporal_workflow_task_schedule_to_start_latency|temporal_activity_schedule_to_start_latency/,
      )
    }
  })

  test('the API counts requests by route template and echoes or makes a request id', async () => {
    const echoed = await h.app.request('/health', { headers: { 'x-request-id': 'trace-me-42' } })
    expect(echoed.headers.get('x-request-id')).toBe('trace-me-42')
    const made = await h.app.request('/health', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)

    const res = await h.app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(
      sample(
        text,
        'herald_http_requests_total',
        'method="POST",route="/api/deliveries/:id/confirm",status="200"',
      ),
    ).toBeGreaterThanOrEqual(1)
    expect(
      sample(text, 'herald_http_requests_total', 'method="GET",route="/health",status="200"'),
    ).toBeGreaterThanOrEqual(2)
  })
})
