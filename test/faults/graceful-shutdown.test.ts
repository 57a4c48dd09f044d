import http from 'node:http'
import { freePort } from '../../runtime/dev-server'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  someProfiles,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'
import { startProcess, startWorkerProcess, workerEnv } from './processes'

/**
 * SIGTERM is a deploy, not a crash: the worker finishes the batch it is sending and leaves nothing in
 * doubt; the API answers the requests it has and takes no new ones.
 */
describe('graceful shutdown', () => {
  let h: Harness
  beforeAll(async () => {
    // 40 messages a second in batches of 40: a batch is still being sent when SIGTERM arrives.
    h = await startHarness({
      inProcessWorker: false,
      env: { HERALD_RATE_LIMIT: '40', HERALD_BATCH_SIZE: '40' },
    })
  })
  afterAll(() => h?.close())

  test('a worker given SIGTERM finishes its current batch; the next worker sends the rest; nothing in doubt', async () => {
    let worker = startWorkerProcess(workerEnv(h))
    const profiles = 200
    const id = await readyDelivery(h, await importProfiles(h, profiles))
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    await h.sink.waitFor(() => receivedFor(h, id).size >= 50, 60_000)

    const signalled = Date.now()
    expect(await worker.kill('SIGTERM')).toBe('0')
    const stoppedAfterMs = Date.now() - signalled
    const [{ n: inFlight }] = await h.db
      .knex('sending_log')
      .where({ delivery_id: id, status: 'sending' })
      .count('* as n')
    expect(Number(inFlight)).toBe(0)
    const sentBeforeRestart = receivedFor(h, id).size
    // Whole batches only: what was sent is a multiple of the batch size.
    expect(sentBeforeRestart % 40).toBe(0)

    worker = startWorkerProcess(workerEnv(h))
    try {
      const finished = await h.waitForStatus(id, 'finished', 120_000)
      const received = receivedFor(h, id)
      console.log(
        `worker SIGTERM: stopped after ${stoppedAfterMs} ms with ${sentBeforeRestart} sent; then ${received.size} distinct`,
      )
      expect(received.size).toBe(profiles)
      expect([...received.values()].every((n) => n === 1)).toBe(true)
      expect(finished.progress).toMatchObject({ delivered: profiles, inDoubt: 0 })
    } finally {
      await worker.kill('SIGTERM')
    }
  })

  test('the API given SIGTERM answers the request in progress, then refuses new connections', async () => {
    const port = await freePort()
    const api = startProcess('server/main.ts', { ...workerEnv(h), HERALD_PORT: String(port) })
    const base = `http://127.0.0.1:${port}`
    await waitUntil(
      'the API to serve',
      () =>
        fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
    )
    const profiles = someProfiles(5000).map((p, i) => ({
      ...p,
      externalId: `drain-${i}`,
      email: `drain-${i}@example.com`,
    }))
    // Open pixels answered just before SIGTERM: their rows are stored before the API exits.
    await h.startWorker()
    const tracked = await readyDelivery(h, await importProfiles(h, 20), { html: '<p>Hi</p>', tracking: true })
    await h.api('POST', `/api/deliveries/${tracked}/confirm`, { as: 'start', body: { expectedMessages: 20 } })
    await h.waitForStatus(tracked, 'finished')
    await h.stopWorker()
    const pixels: string[] = []
    for (const m of h.sink.messages.filter((m) => m.messageId?.startsWith(`<herald.d${tracked}.`))) {
      const html = String((await h.sink.parsed(m.seq)).html)
      pixels.push(new URL(/<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)![1]).pathname)
    }
    const opened = await Promise.all(pixels.map((p) => fetch(`${base}${p}`).then((r) => r.status)))
    expect(opened.every((status) => status === 200)).toBe(true)

    // An import whose body is half sent when SIGTERM comes: the API has begun it (its health says so),
    // so it reads the rest and answers.
    const body = Buffer.from(JSON.stringify({ profiles }))
    const importing = http.request(`${base}/api/profiles`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.tokens.creator}`,
        'content-type': 'application/json',
        'content-length': body.length,
      },
    })
    const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
      importing.on('response', async (res) => {
        const chunks: Buffer[] = []
        for await (const chunk of res) chunks.push(chunk as Buffer)
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() })
      })
      importing.on('error', reject)
    })
    importing.write(body.subarray(0, body.length / 2))
    await waitUntil('the API to have begun the import', async () => {
      const health = (await (await fetch(`${base}/health`)).json()) as { requestsInProgress: number }
      return health.requestsInProgress >= 1
    })
    api.child.kill('SIGTERM')
    importing.end(body.subarray(body.length / 2))
    const answered = await reply
    expect(answered.status).toBe(200)
    expect((JSON.parse(answered.text) as { ids: number[] }).ids).toHaveLength(5000)
    expect(await api.exited).toBe('0')
    const [{ n: opens }] = await h.db
      .knex('tracking_log')
      .where({ delivery_id: tracked, type: 'open' })
      .count('* as n')
    expect(Number(opens)).toBe(20)
    await expect(fetch(`${base}/health`)).rejects.toThrow()
  })
})
