import crypto from 'node:crypto'
import http from 'node:http'
import { freePort } from '../../runtime/dev-server'
import { SmtpSink } from '../../mail/smtp-sink'
import { openDatabase, type Database } from '../../persistence/database'
import { createUser, issueToken } from '../../persistence/users'
import { roles } from '../../domain/roles'
import { createTestDatabaseUrl, waitUntil } from '../support/harness'
import { startProcess, type WorkerProcess } from '../faults/processes'

interface Span {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
}

/** An OTLP/HTTP receiver (JSON, what the OTel exporter sends) keeping every span it is sent. */
async function otlpReceiver() {
  const spans: Span[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const sent = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: Span[] }[] }[]
        }
        for (const r of sent.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans)
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { spans, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) }
}

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set on the API and the worker, a confirm is one trace: its HTTP
 * request, the Temporal update it sends, the workflow's handling of it, and every sendBatch it causes
 * with its database read and SMTP exchanges.
 */
describe('OpenTelemetry traces', () => {
  const batches = 4
  const batchSize = 25
  const children: WorkerProcess[] = []
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>
  let db: Database
  let drop: () => Promise<void>
  let sink: SmtpSink
  let api: string
  let token: string

  beforeAll(async () => {
    receiver = await otlpReceiver()
    const database = await createTestDatabaseUrl()
    drop = database.drop
    db = await openDatabase(database.url, { migrate: true })
    const operator = await createUser(db, 'operator', [...roles])
    token = (await issueToken(db, operator.id, 'test')).token
    sink = await new SmtpSink().start()
    const port = await freePort()
    api = `http://127.0.0.1:${port}`
    const queue = `herald-traces-${crypto.randomBytes(4).toString('hex')}`
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_TASK_QUEUE: queue,
      HERALD_WORKFLOW_ID_PREFIX: `${queue}-`,
      HERALD_TRACKING_SECRET: crypto.randomBytes(32).toString('hex'),
      HERALD_PORT: String(port),
      HERALD_HOST: '127.0.0.1',
      HERALD_PUBLIC_URL: api,
      HERALD_BATCH_SIZE: String(batchSize),
      SMTP_URL: sink.url,
      HERALD_LOG_LEVEL: 'ERROR',
      HERALD_METRICS_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Spans leave every 200 ms rather than every 5 s: the test waits less.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    }
    children.push(startProcess('server/main.ts', env), startProcess('worker/main.ts', env))
    await waitUntil(
      'the API',
      () =>
        fetch(`${api}/health`).then(
          (r) => r.ok,
          () => null,
        ),
      60_000,
    )
  })
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill('SIGTERM')))
    await receiver?.close()
    await sink?.stop()
    await db?.close()
    await drop?.()
  })

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as any }
  }
  const statusOf = async (id: number) => (await call('GET', `/api/deliveries/${id}`)).body.status

  test('one trace holds the confirm request, the update and every sendBatch it caused', async () => {
    const profiles = Array.from({ length: batches * batchSize }, (_, i) => ({
      externalId: `t${i}`,
      email: `t${i}@example.com`,
    }))
    const imported = await call('POST', '/api/profiles', { profiles })
    const created = await call('POST', '/api/deliveries', {
      label: 'Traced',
      subject: 'Hello',
      text: 'Hi',
      audience: { profileIds: imported.body.ids },
    })
    const id = created.body.id as number
    await call('POST', `/api/deliveries/${id}/prepare`)
    // The worker bundles its workflows with the tracing interceptors first: a generous deadline.
    await waitUntil('preparation', async () => (await statusOf(id)) === 'awaiting_approval', 180_000, 200)
    await call('POST', `/api/deliveries/${id}/approve`)
    const confirmed = await call('POST', `/api/deliveries/${id}/confirm`, {
      expectedMessages: batches * batchSize,
    })
    expect(confirmed.status).toBe(200)
    await waitUntil('the send', async () => (await statusOf(id)) === 'finished', 120_000, 200)

    const request = await waitUntil(
      'the confirm request span',
      () => receiver.spans.find((s) => s.name === 'POST /api/deliveries/:id/confirm'),
      60_000,
    )
    const trace = () => receiver.spans.filter((s) => s.traceId === request.traceId)
    const batchRuns = await waitUntil(
      `${batches} sendBatch spans in the trace`,
      () => {
        const runs = trace().filter((s) => s.name === 'RunActivity:sendBatch')
        return runs.length >= batches ? runs : null
      },
      60_000,
    )
    expect(batchRuns).toHaveLength(batches)
    // The spans of one trace come from three processes' exporters, in their own time: each read sees the latest.
    const ancestry = (span: Span): string[] => {
      const byId = new Map(trace().map((s) => [s.spanId, s]))
      const up = (s: Span): string[] => {
        const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined
        return parent ? [parent.name, ...up(parent)] : []
      }
      return up(span)
    }
    const chain = [
      'StartActivity:sendBatch',
      'HandleUpdate:confirm',
      'StartWorkflowUpdate:confirm',
      'POST /api/deliveries/:id/confirm',
    ]
    // Inside each batch: its database read and one SMTP exchange a message.
    const childrenOf = (span: Span, name: string) =>
      trace().filter((s) => s.parentSpanId === span.spanId && s.name === name)
    await waitUntil(
      'every message’s SMTP span',
      () => batchRuns.every((run) => childrenOf(run, 'smtp send').length === batchSize) || null,
    )
    for (const run of batchRuns) expect(childrenOf(run, 'load batch')).toHaveLength(1)
    await waitUntil(
      'each batch’s chain of spans up to the request',
      () => batchRuns.every((run) => chain.every((name) => ancestry(run).includes(name))) || null,
      60_000,
    )
    for (const run of batchRuns) expect(ancestry(run)).toEqual(expect.arrayContaining(chain))
  })
})
