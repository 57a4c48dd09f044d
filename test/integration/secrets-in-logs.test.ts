import crypto from 'node:crypto'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from '../../runtime/dev-server'
import { SmtpSink } from '../../mail/smtp-sink'
import { openDatabase, type Database } from '../../persistence/database'
import { createUser, issueToken } from '../../persistence/users'
import { roles } from '../../domain/roles'
import { createTestDatabaseUrl, sleep, testDialect } from '../support/harness'
import { seededSecret } from '../support/seed'

/**
 * The production entrypoints (server/main.ts, worker/main.ts) run as processes with their output captured
 * while people log in, send with tracking, open and click, report bounces, and while the SMTP relay
 * refuses the worker's password; and when they fail to start. Not one line may hold a secret: an API
 * token, the tracking or session secret, the database, SMTP or Temporal password.
 */
describe('secrets never appear in logs', () => {
  const root = path.resolve(__dirname, '../..')
  const secret = (name: string, bytes = 12) => `${name}-${seededSecret(name, bytes)}`
  const secrets = {
    trackingSecret: secret('tracking', 32),
    sessionSecret: secret('session-secret-of-32-characters-at-least'),
    smtpPassword: secret('smtp-password'),
    wrongSmtpPassword: secret('wrong-smtp-password'),
    temporalApiKey: secret('temporal-api-key'),
    databasePassword: secret('database-password'),
    apiToken: '',
    otherApiToken: '',
    unknownApiToken: `hrld_${seededSecret('unknown api token', 32)}`,
  }
  const smtpUser = 'herald-relay'
  const outputs: { name: string; text: () => string }[] = []
  const children: ChildProcess[] = []
  let db: Database
  let databaseUrl: string
  let dropDatabase: () => Promise<void>
  let sink: SmtpSink
  let api: string
  let env: Record<string, string>

  /** A Herald process with its stdout and stderr kept. */
  function run(name: string, file: string, extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
      cwd: root,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let text = ''
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    outputs.push({ name, text: () => text })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    return {
      output: () => text,
      exited,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        return exited
      },
    }
  }

  const call = async (method: string, url: string, body?: unknown, token = secrets.apiToken) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      redirect: 'manual',
    })
    const text = await res.text()
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text }
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000) {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const value = await probe().catch(() => null)
      if (value) return value
      await sleep(200)
    }
    throw new Error(
      `timed out waiting for ${what}\n${outputs.map((o) => `--- ${o.name}\n${o.text()}`).join('\n')}`,
    )
  }

  beforeAll(async () => {
    const database = await createTestDatabaseUrl()
    dropDatabase = database.drop
    databaseUrl = database.url
    if (testDialect() === 'postgres') {
      // Trust authentication ignores it, but every process is given a password to keep to itself.
      const url = new URL(database.url)
      url.password = secrets.databasePassword
      databaseUrl = url.toString()
    }
    db = await openDatabase(databaseUrl, { migrate: true })
    const operator = await createUser(db, 'operator', [...roles])
    secrets.apiToken = (await issueToken(db, operator.id, 'operator')).token
    secrets.otherApiToken = (await issueToken(db, operator.id, 'dashboard')).token
    sink = await new SmtpSink({ auth: { user: smtpUser, pass: secrets.smtpPassword } }).start()
    const port = await freePort()
    api = `http://127.0.0.1:${port}`
    const queue = `herald-logs-${crypto.randomBytes(4).toString('hex')}`
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_TASK_QUEUE: queue,
      HERALD_WORKFLOW_ID_PREFIX: `${queue}-`,
      // The dev server takes no key; the client sends it all the same, without TLS here.
      TEMPORAL_API_KEY: secrets.temporalApiKey,
      TEMPORAL_TLS: 'false',
      HERALD_WORKFLOW_BUNDLE: process.env.HERALD_TEST_WORKFLOW_BUNDLE!,
      HERALD_TRACKING_SECRET: secrets.trackingSecret,
      HERALD_SESSION_SECRET: secrets.sessionSecret,
      HERALD_PORT: String(port),
      HERALD_HOST: '127.0.0.1',
      HERALD_PUBLIC_URL: api,
      HERALD_RETRY_INTERVAL: '2s',
      HERALD_LOG_LEVEL: 'INFO',
      HERALD_METRICS_PORT: '0',
    }
    run('api', 'server/main.ts')
    await waitFor('the API', async () => (await fetch(`${api}/health`)).ok)
  })

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await sink?.stop()
    await db?.close()
    await dropDatabase?.()
  })

  const smtpUrl = (password: string) =>
    `smtp://${smtpUser}:${encodeURIComponent(password)}@127.0.0.1:${sink.port}`

  async function delivery(label: string, tracking: boolean) {
    const profiles = await call('POST', '/api/profiles', {
      profiles: [1, 2].map((i) => ({
        externalId: `${label}-${i}`,
        email: `${label}-${i}@example.com`,
        firstName: `P${i}`,
      })),
    })
    const created = await call('POST', '/api/deliveries', {
      label,
      subject: 'Hello {{firstName}}',
      html: '<p>Hi <a href="https://example.com/offer">the offer</a></p>',
      text: 'Hi',
      tracking,
      audience: { profileIds: profiles.body.ids },
    })
    const id = created.body.id as number
    await call('POST', `/api/deliveries/${id}/prepare`)
    await waitFor(
      'preparation',
      async () => (await call('GET', `/api/deliveries/${id}`)).body.status === 'awaiting_approval',
    )
    await call('POST', `/api/deliveries/${id}/approve`)
    expect((await call('POST', `/api/deliveries/${id}/confirm`, { expectedMessages: 2 })).status).toBe(200)
    return id
  }

  test('a relay refusing the password, a send with tracking, bounces and logins: no secret in any log line', async () => {
    // The relay refuses the worker's password: the delivery says so, and is stopped.
    const refused = run('worker (wrong SMTP password)', 'worker/main.ts', {
      SMTP_URL: smtpUrl(secrets.wrongSmtpPassword),
    })
    const blocked = await delivery('refused', false)
    const sendError = await waitFor(
      'the refusal',
      async () => (await call('GET', `/api/deliveries/${blocked}`)).body.sendError,
    )
    expect(sendError).toMatch(/535|auth/i)
    await call('POST', `/api/deliveries/${blocked}/stop`)
    await waitFor(
      'the stop',
      async () => (await call('GET', `/api/deliveries/${blocked}`)).body.status === 'stopped',
    )
    await refused.stop()

    // The right password: a tracked send, an open, a click, a bounce.
    const worker = run('worker', 'worker/main.ts', { SMTP_URL: smtpUrl(secrets.smtpPassword) })
    const sent = await delivery('tracked', true)
    await waitFor(
      'the send',
      async () => (await call('GET', `/api/deliveries/${sent}`)).body.status === 'finished',
    )
    const html = String((await sink.parsed(sink.messages[0].seq)).html)
    const open = /src="([^"]*\/t\/o\/[^"]+)"/.exec(html)![1]
    const click = /href="([^"]*\/t\/c\/[^"]+)"/.exec(html)![1]
    expect((await fetch(open)).status).toBe(200)
    expect((await fetch(click, { redirect: 'manual' })).status).toBe(302)
    const messageId = sink.messages[0].messageId!
    expect(
      (await call('POST', '/api/bounces', { events: [{ type: 'hard', messageId, reason: 'no such user' }] }))
        .status,
    ).toBe(200)
    expect(
      (await call('POST', '/api/bounces', { events: [{ type: 'soft', email: 'not an email' }] })).status,
    ).toBe(400)

    // People log in to the dashboard, with a good token and a bad one; a client calls with an unknown one.
    const form = async (token: string) => {
      // The login page first: its form carries a token tied to the login cookie it sets.
      const page = await fetch(`${api}/login`)
      const cookie = page.headers.getSetCookie()[0].split(';')[0]
      const loginToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]
      return fetch(`${api}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: api, cookie },
        body: new URLSearchParams({ token, next: '/', _csrf: loginToken }).toString(),
        redirect: 'manual',
      })
    }
    expect((await form(secrets.otherApiToken)).status).toBe(303)
    expect((await form(secrets.unknownApiToken)).status).toBe(401)
    expect((await call('GET', '/api/deliveries', undefined, secrets.unknownApiToken)).status).toBe(401)
    await worker.stop()

    expectNoSecretIn(outputs)
    expect(outputs.map((o) => o.text()).join('')).toMatch(/Herald API listening/)
    // The lines checked are pino's JSON: requests with their id, batches with their delivery and workflow.
    const lines = outputs.flatMap((o) =>
      o
        .text()
        .split('\n')
        .filter((l) => l.startsWith('{')),
    )
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.find((r) => r.msg === 'request' && r.route === '/api/deliveries/:id/confirm')).toEqual(
      expect.objectContaining({ requestId: expect.any(String), status: '200', method: 'POST' }),
    )
    expect(records.find((r) => r.msg === 'batch sent')).toEqual(
      expect.objectContaining({
        deliveryId: sent,
        workflowId: expect.any(String),
        runId: expect.any(String),
        activity: 'sendBatch',
      }),
    )
  })

  test('a process that cannot start says why without printing the password of the URL it was given', async () => {
    const attempts = [
      run('worker with a malformed SMTP URL', 'worker/main.ts', {
        SMTP_URL: `smtp://${smtpUser}:${secrets.smtpPassword}@127.0.0.1:99999`,
      }),
      run('api with an unreachable database', 'server/main.ts', {
        DATABASE_URL: `postgres://herald:${secrets.databasePassword}@127.0.0.1:1/herald`,
        HERALD_PORT: String(await freePort()),
      }),
      run('worker with a malformed database URL', 'worker/main.ts', {
        DATABASE_URL: `postgres://herald:${secrets.databasePassword}@127.0.0.1:not-a-port/herald`,
      }),
    ]
    for (const attempt of attempts) expect(await attempt.exited).not.toBe(0)
    expectNoSecretIn(outputs.slice(-attempts.length))
    for (const attempt of attempts) expect(attempt.output()).not.toBe('')
  })

  /** Each secret as it is, and as SMTP AUTH PLAIN and a URL would encode it. */
  function expectNoSecretIn(logs: { name: string; text: () => string }[]) {
    const forms = Object.entries(secrets)
      .filter(([, value]) => value)
      .flatMap(([name, value]) => [
        [name, value],
        [`${name} (URL-encoded)`, encodeURIComponent(value)],
        [`${name} (base64)`, Buffer.from(value).toString('base64')],
      ])
    forms.push([
      'SMTP AUTH PLAIN',
      Buffer.from(`\u0000${smtpUser}\u0000${secrets.wrongSmtpPassword}`).toString('base64'),
    ])
    const leaks = logs.flatMap((log) =>
      log
        .text()
        .split('\n')
        .flatMap((line) =>
          forms
            .filter(([, value]) => line.includes(value))
            .map(([name]) => `${log.name}: ${name} in "${line.slice(0, 300)}"`),
        ),
    )
    expect(leaks).toEqual([])
  }
})
