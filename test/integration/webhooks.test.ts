import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature, webhookSignature } from '../../domain/webhook-signature'
import { webhookWorkflowId } from '../../workflows/webhook-messages'
import {
  importProfiles,
  readyDelivery,
  startHarness,
  untilClock,
  waitUntil,
  type Harness,
} from '../support/harness'
import { createRecurring, waitForRuns, withStatus } from '../support/recurring'
import { seededSecret } from '../support/seed'

/**
 * How long, at least, the receiver refuses connections before it listens (the "refuses for
 * 30 s": HERALD_TEST_WEBHOOK_REFUSE_MS=30000; a few seconds by default). It also refuses until every
 * event of the test has been raised, so that they all wait behind the first, refused again and again.
 */
const refuseMs = Number(process.env.HERALD_TEST_WEBHOOK_REFUSE_MS ?? 4000)

interface Received {
  path: string
  id: string
  type: string
  body: string
  signature: string | undefined
  answered: number
}

/**
 * A webhook receiver on loopback: nothing listens on its port until `listen` is called (connections
 * refused), then it answers 500 to the first request it reads (a receiver that failed after reading it) and 200
 * to every other. It records every request.
 */
class Receiver {
  readonly requests: Received[] = []
  private server = http.createServer((req, res) => this.handle(req, res))
  port = 0

  /** Reserves a free port, and listens on it only later. */
  async start(): Promise<this> {
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    this.port = (probe.address() as AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    return this
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve))
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const parsed = JSON.parse(body) as { id: string; type: string }
      const answered = this.requests.length === 0 ? 500 : 200
      this.requests.push({
        path: req.url ?? '',
        id: parsed.id,
        type: parsed.type,
        body,
        signature: req.headers['herald-signature'] as string | undefined,
        answered,
      })
      res.writeHead(answered).end()
    })
  }

  /** Events accepted (answered 200) at `path`, in the order they arrived. */
  accepted(path: string): { id: string; type: string; data: any }[] {
    return this.requests
      .filter((r) => r.path === path && r.answered === 200)
      .map((r) => ({ id: r.id, type: r.type, data: (JSON.parse(r.body) as { data: unknown }).data }))
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

/** An endpoint that takes the connection and never answers. */
async function silentEndpoint(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = http.createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Ends the test's dispatchers: with the worker gone they would otherwise wait in Temporal for ever. */
async function endDispatchers(h: Harness): Promise<void> {
  const { items } = (await h.api('GET', '/api/webhooks', { as: 'admin' })).body as { items: { id: number }[] }
  for (const { id } of items)
    await h.client.workflow
      .getHandle(webhookWorkflowId(id, h.config.temporal.workflowIdPrefix))
      .terminate('test over')
}

const allEvents = [
  'delivery.prepared',
  'delivery.approved',
  'delivery.confirmed',
  'delivery.sending',
  'delivery.finished',
  'delivery.failed',
  'delivery.stopped',
  'alert.raised',
  'recurring.run.waiting_for_confirmation',
  'recurring.run.expired',
]

describe('outgoing webhooks', () => {
  let h: Harness
  let receiver: Receiver
  let silent: Awaited<ReturnType<typeof silentEndpoint>>
  const secret = seededSecret('webhook secret', 32)

  beforeAll(async () => {
    h = await startHarness({
      env: { HERALD_WEBHOOK_TIMEOUT: '1s', HERALD_WEBHOOK_POLL_INTERVAL: '200ms' },
    })
    receiver = await new Receiver().start()
    silent = await silentEndpoint()
  })
  afterAll(async () => {
    if (h) await endDispatchers(h)
    await receiver?.stop()
    await silent?.stop()
    await h?.close()
  })

  const register = (body: Record<string, unknown>) => h.api('POST', '/api/webhooks', { as: 'admin', body })

  test('bad endpoints are refused with 400 naming the field, and nothing is registered', async () => {
    const refused = [
      [{ url: 'ftp://example.com/hook', events: ['alert.raised'] }, 'url'],
      [{ url: 'not a url', events: ['alert.raised'] }, 'url'],
      [{ url: 'https://user:password@example.com/', events: ['alert.raised'] }, 'url'],
      [{ url: 'https://example.com/', events: [] }, 'events'],
      [{ url: 'https://example.com/', events: ['delivery.exploded'] }, 'events.0'],
      [{ url: 'https://example.com/', events: ['alert.raised'], secret: 'short' }, 'secret'],
      [{ url: 'https://example.com/', events: ['alert.raised'], extra: 1 }, 'extra'],
    ] as const
    for (const [body, field] of refused) {
      const res = await register(body)
      expect({ body, status: res.status, field: res.body.error?.field }).toEqual({ body, status: 400, field })
    }
    expect((await h.api('GET', '/api/webhooks', { as: 'admin' })).body.items).toEqual([])
    expect((await register({ url: 'https://example.com/', events: ['alert.raised'] })).status).toBe(201)
    const [made] = (await h.api('GET', '/api/webhooks', { as: 'admin' })).body.items
    expect((await h.api('DELETE', `/api/webhooks/${made.id}`, { as: 'admin' })).status).toBe(204)
    expect((await h.api('DELETE', `/api/webhooks/${made.id}`, { as: 'admin' })).status).toBe(404)
    // Its dispatcher ends once it finds the endpoint gone.
    const handle = h.client.workflow.getHandle(webhookWorkflowId(made.id, h.config.temporal.workflowIdPrefix))
    await handle.result()
  })

  test('a receiver that refuses for a while gets every event once per id, in order, signed; a silent one holds nothing up', async () => {
    const all = await register({ url: receiver.url('/all'), events: allEvents, secret })
    expect(all.status).toBe(201)
    expect(all.body).toMatchObject({ events: allEvents, secret, pending: 0 })
    const finishedOnly = await register({
      url: receiver.url('/finished'),
      events: ['delivery.finished'],
      secret,
    })
    expect(finishedOnly.status).toBe(201)
    expect(finishedOnly.body.secret).toBe(secret)
    // Never answers: its events wait for it, the sends do not.
    const hanging = await register({ url: silent.url, events: allEvents })
    expect(hanging.body.secret).toMatch(/^[\w-]{43}$/)

    const refusing = Date.now()
    const profileIds = await importProfiles(h, 3)
    const sent = await readyDelivery(h, profileIds)
    await h.api('POST', `/api/deliveries/${sent}/confirm`, { as: 'start', body: { expectedMessages: 3 } })
    // The send ends while the receiver still refuses: webhooks never hold a delivery up.
    expect((await h.waitForStatus(sent, 'finished')).status).toBe('finished')
    expect(receiver.requests).toEqual([])
    const later = new Date(Date.now() + 3600_000).toISOString()
    const stopped = await readyDelivery(h, profileIds, { contactDate: later })
    await h.api('POST', `/api/deliveries/${stopped}/confirm`, { as: 'start', body: { expectedMessages: 3 } })
    await h.api('POST', `/api/deliveries/${stopped}/stop`, { as: 'start' })
    const empty = await h.api('POST', '/api/deliveries', {
      body: {
        label: 'Nobody',
        subject: 'S',
        text: 'T',
        audience: { filter: [{ field: 'attributes.plan', op: 'eq', value: 'nobody' }] },
      },
    })
    await h.api('POST', `/api/deliveries/${empty.body.id}/prepare`)
    const recurring = await createRecurring(h, {
      audience: { profileIds },
      confirmBeforeEachSend: true,
      recurrence: { every: '1h' },
    })
    await h.api('POST', `/api/recurring-deliveries/${recurring}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(
      h,
      recurring,
      (r) => withStatus(r, 'waiting_for_confirmation').length === 1,
    )
    await h.api('POST', `/api/recurring-deliveries/${recurring}/stop`, { as: 'workflow' })
    await waitForRuns(h, recurring, (r) => withStatus(r, 'expired').length === 1)
    // Refused for `refuseMs` at least (waiting for time itself to pass, as the scenario asks).
    await untilClock(refusing + refuseMs)
    await receiver.listen()

    const hangingNow = (await h.api('GET', '/api/webhooks', { as: 'admin' })).body.items.find(
      (e: { id: number }) => e.id === hanging.body.id,
    )
    expect(hangingNow.delivered).toBe(0)
    expect(hangingNow.pending).toBeGreaterThan(0)

    const ofDelivery = (id: number) =>
      receiver
        .accepted('/all')
        .filter((e) => e.type.startsWith('delivery.') && e.data.delivery.id === id)
        .map((e) => e.type)
    const expected = {
      sent: [
        'delivery.prepared',
        'delivery.approved',
        'delivery.confirmed',
        'delivery.sending',
        'delivery.finished',
      ],
      stopped: ['delivery.prepared', 'delivery.approved', 'delivery.confirmed', 'delivery.stopped'],
      execution: ['delivery.prepared', 'delivery.stopped'],
      alerts: ['preparation_failed'],
      run: ['recurring.run.waiting_for_confirmation', 'recurring.run.expired'],
    }
    const seen = () => ({
      sent: ofDelivery(sent),
      stopped: ofDelivery(stopped),
      execution: ofDelivery(run.executionId),
      alerts: receiver
        .accepted('/all')
        .filter((e) => e.type === 'alert.raised' && e.data.delivery.id === empty.body.id)
        .map((e) => e.data.alert.criterion),
      run: receiver
        .accepted('/all')
        .filter((e) => e.type.startsWith('recurring.run.') && e.data.run.id === run.id)
        .map((e) => e.type),
    })
    // Every event, in order per delivery and per run, each accepted once (none twice, none missing).
    const allThere = () => JSON.stringify(seen()) === JSON.stringify(expected)
    // On a timeout, the comparison below shows what is missing.
    await waitUntil('every event at the receiver', allThere, 120_000).catch(() => undefined)
    expect(seen()).toEqual(expected)

    // Once per id: an id comes again only as a retry of the one the receiver failed, with the same body.
    await waitUntil('the failed request retried', () =>
      receiver.requests.some((r) => r.answered === 200 && r.id === receiver.requests[0].id),
    )
    const byId = new Map<string, Received[]>()
    for (const r of receiver.requests) byId.set(r.id, [...(byId.get(r.id) ?? []), r])
    for (const [id, requests] of byId) {
      expect({ id, accepted: requests.filter((r) => r.answered === 200).length }).toEqual({ id, accepted: 1 })
      expect(new Set(requests.map((r) => r.body)).size).toBe(1)
    }
    expect(receiver.requests[0].answered).toBe(500)
    expect(byId.get(receiver.requests[0].id)!.length).toBe(2)
    // The connections refused before the receiver listened were retried: the first events took attempts.
    const [{ most }] = await h.db.knex('webhook_event').max('attempts as most')
    expect(Number(most)).toBeGreaterThan(1)

    // The endpoint for delivery.finished got those, and nothing else.
    await waitUntil('delivery.finished at /finished', () => receiver.accepted('/finished').length >= 1)
    expect(receiver.accepted('/finished').map((e) => [e.type, e.data.delivery.id])).toEqual([
      ['delivery.finished', sent],
    ])
    const finished = receiver.accepted('/all').find((e) => e.type === 'delivery.finished')!
    expect(finished.data.delivery).toMatchObject({
      id: sent,
      status: 'finished',
      messagesToDeliver: 3,
      progress: { sent: 3, failed: 0, pending: 0, processed: 3 },
    })

    // Every request carries a valid signature; a forged or altered one is detected by the same check.
    for (const r of receiver.requests)
      expect(verifyWebhookSignature(secret, r.signature, r.body, { toleranceSeconds: 600 })).toBe(true)
    const { body, signature } = receiver.requests[1]
    const t = Number(/t=(\d+)/.exec(signature!)![1])
    const forged = {
      body: verifyWebhookSignature(secret, signature, `${body} `, { toleranceSeconds: 600 }),
      secret: verifyWebhookSignature(seededSecret('another secret', 32), signature, body, {
        toleranceSeconds: 600,
      }),
      timestamp: verifyWebhookSignature(secret, signature!.replace(`t=${t}`, `t=${t + 1}`), body, {
        toleranceSeconds: 600,
      }),
      madeUp: verifyWebhookSignature(secret, `t=${t},v1=${webhookSignature('guess', t, body)}`, body, {
        toleranceSeconds: 600,
      }),
      missing: verifyWebhookSignature(secret, undefined, body),
    }
    expect(forged).toEqual({ body: false, secret: false, timestamp: false, madeUp: false, missing: false })
  })
})

describe('webhook retry period', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      env: { HERALD_WEBHOOK_RETRY_PERIOD: '2s', HERALD_WEBHOOK_POLL_INTERVAL: '200ms' },
    })
  })
  afterAll(async () => {
    if (h) await endDispatchers(h)
    await h?.close()
  })

  test('events an endpoint refuses past the retry period are abandoned, with the error, and sending goes on', async () => {
    // A port nothing listens on: every connection is refused.
    const closed = await new Receiver().start()
    const registered = await h.api('POST', '/api/webhooks', {
      as: 'admin',
      body: { url: closed.url('/'), events: ['delivery.prepared', 'delivery.approved', 'delivery.finished'] },
    })
    expect(registered.status).toBe(201)
    const id = await readyDelivery(h, await importProfiles(h, 2))
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
    await h.waitForStatus(id, 'finished')
    const endpoint = await waitUntil('the three events abandoned', async () => {
      const [e] = (await h.api('GET', '/api/webhooks', { as: 'admin' })).body.items
      return e.abandoned === 3 && e
    })
    expect(endpoint).toMatchObject({ pending: 0, delivered: 0, abandoned: 3 })
    expect(endpoint.lastError).toMatch(/ECONNREFUSED/)
  })
})
