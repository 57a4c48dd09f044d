import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Client, Connection } from '@temporalio/client'
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker'
import { loadConfig, type HeraldConfig } from '../../config/env'
import { openDatabase, type Database } from '../../persistence/database'
import { SmtpSink, type SmtpSinkOptions } from '../../mail/smtp-sink'
import { createApp, type HeraldApp } from '../../server/app'
import { createHeraldWorker, type HeraldWorker } from '../../worker/worker'
import { createActivityDeps } from '../../worker/deps'
import type { ActivityDeps } from '../../activities'
import type { DeliverySettings } from '../../domain/settings'
import { roles, type Role } from '../../domain/roles'
import { createUser, issueToken } from '../../persistence/users'
import { deliveryWorkflowId } from '../../workflows/messages'
import { createPostgresDatabase } from './postgres'
import { seededSecret } from './seed'
import { createLogger, useLogger } from '../../observability/logger'

/**
 * Everything real, on loopback: the run's Temporal dev server, a fresh database (SQLite or PostgreSQL,
 * per jest project), an SMTP sink, a worker on its own task queue and the API app.
 */
export interface Harness {
  db: Database
  databaseUrl: string
  sink: SmtpSink
  client: Client
  app: HeraldApp
  config: HeraldConfig
  worker: HeraldWorker
  /** one token per role, plus `creator` (prepare + start) and `outsider` (viewer) */
  tokens: Record<Role | 'creator', string>
  api(
    method: string,
    url: string,
    options?: { as?: Role | 'creator'; body?: unknown; token?: string | null; raw?: string },
  ): Promise<{ status: number; body: any }>
  /** Polls the API until the delivery has the status (or fails with the last one seen). */
  waitForStatus(deliveryId: number, status: string | string[], timeoutMs?: number): Promise<any>
  startWorker(overrides?: Partial<ActivityDeps>): Promise<HeraldWorker>
  stopWorker(): Promise<void>
  close(): Promise<void>
}

export interface HarnessOptions {
  settings?: Partial<DeliverySettings>
  env?: Record<string, string>
  sink?: SmtpSinkOptions
  /** false: no worker in this process (fault tests run workers as processes of their own) */
  inProcessWorker?: boolean
  /** A Temporal server of the test's own (fault tests restart it); the run's shared one otherwise. */
  temporalAddress?: string
  /** A PostgreSQL server of the test's own (fault tests restart it). */
  postgresAdminUrl?: string
}

let runtimeInstalled = false

export function testDialect(): 'sqlite' | 'postgres' {
  return process.env.HERALD_TEST_DB === 'postgres' ? 'postgres' : 'sqlite'
}

export async function createTestDatabaseUrl(
  postgresAdminUrl?: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (testDialect() === 'postgres' || postgresAdminUrl) return createPostgresDatabase(postgresAdminUrl)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-test-'))
  return {
    url: `sqlite:${path.join(dir, 'herald.sqlite')}`,
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger((process.env.HERALD_TEST_LOG_LEVEL as 'WARN') ?? 'ERROR') })
    // The API answers in this process: its request lines would bury the test output.
    useLogger(createLogger({ level: process.env.HERALD_TEST_LOG_LEVEL ?? 'silent' }))
    runtimeInstalled = true
  }
  const address = options.temporalAddress ?? process.env.HERALD_TEST_TEMPORAL_ADDRESS
  if (!address)
    throw new Error('HERALD_TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (global setup)')
  const database = await createTestDatabaseUrl(options.postgresAdminUrl)
  const db = await openDatabase(database.url)
  const sink = await new SmtpSink(options.sink).start()
  const taskQueue = `herald-test-${crypto.randomBytes(4).toString('hex')}`
  const config = loadConfig({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    HERALD_WORKFLOW_ID_PREFIX: `${taskQueue}-`,
    SMTP_URL: sink.url,
    SMTP_POOL_SIZE: '4',
    HERALD_BATCH_SIZE: '20',
    HERALD_VALIDITY: '2m',
    HERALD_RETRY_INTERVAL: '2s',
    HERALD_TRACKING_SECRET: seededSecret('tracking', 32),
    ...options.env,
  })
  config.delivery = { ...config.delivery, ...options.settings }
  const connection = await Connection.connect({ address })
  const client = new Client({ connection, namespace: config.temporal.namespace })
  const nativeConnection = await NativeConnection.connect({ address })
  const app = createApp({ db, temporal: client, config })

  const tokens = {} as Record<Role | 'creator', string>
  for (const role of roles) {
    const user = await createUser(db, `${role}-user`, [role])
    tokens[role] = (await issueToken(db, user.id, 'test')).token
  }
  const creator = await createUser(db, 'creator', ['prepare', 'start'])
  tokens.creator = (await issueToken(db, creator.id, 'test')).token

  let worker: HeraldWorker | null = null
  let running: Promise<void> | null = null
  let deps: ActivityDeps | null = null

  const harness: Harness = {
    db,
    databaseUrl: database.url,
    sink,
    client,
    app,
    config,
    tokens,
    get worker() {
      if (!worker) throw new Error('no worker running')
      return worker
    },
    async api(method, url, { as = 'creator', body, token, raw } = {}) {
      const headers: Record<string, string> = {}
      const bearer = token === undefined ? tokens[as] : token
      if (bearer) headers.authorization = `Bearer ${bearer}`
      if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
      const res = await app.request(url, {
        method,
        headers,
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : null
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed }
    },
    async waitForStatus(deliveryId, status, timeoutMs = 90_000) {
      const wanted = Array.isArray(status) ? status : [status]
      const deadline = Date.now() + timeoutMs
      let last: any = null
      while (Date.now() < deadline) {
        last = (await harness.api('GET', `/api/deliveries/${deliveryId}`, { as: 'viewer' })).body
        if (wanted.includes(last?.status)) return last
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error(
        `delivery ${deliveryId} did not reach ${wanted.join('/')}: ${JSON.stringify(last?.status)} (${JSON.stringify(last?.progress)})`,
      )
    },
    async startWorker(overrides = {}) {
      deps = { ...createActivityDeps(db, config), ...overrides }
      worker = await createHeraldWorker({
        connection: nativeConnection,
        namespace: config.temporal.namespace,
        taskQueue,
        deps,
        workflowBundle: { codePath: process.env.HERALD_TEST_WORKFLOW_BUNDLE! },
      })
      running = worker.run()
      return worker
    },
    async stopWorker() {
      if (!worker) return
      worker.shutdown()
      await running
      deps?.mailer.close()
      worker = null
    },
    async close() {
      await harness.stopWorker()
      await nativeConnection.close()
      await connection.close()
      await sink.stop()
      await db.close()
      await database.drop()
    },
  }
  if (options.inProcessWorker ?? true) await harness.startWorker()
  return harness
}

/** Profiles `user1@example.com` … for tests. */
export function someProfiles(count: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `p${i + 1}`,
    email: `user${i + 1}@example.com`,
    firstName: `First${i + 1}`,
    lastName: `Last${i + 1}`,
    ...extra(i + 1),
  }))
}

/** Imports `count` fresh profiles and returns their ids. */
export async function importProfiles(
  h: Harness,
  count: number,
  extra?: (i: number) => Record<string, unknown>,
  prefix = 'p',
) {
  const stamp = `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const profiles = someProfiles(count, extra).map((p, i) => ({
    ...p,
    externalId: `${stamp}-${i + 1}`,
    email: `${stamp}-${i + 1}@example.com`,
  }))
  const res = await h.api('POST', '/api/profiles', { body: { profiles } })
  if (res.status !== 200) throw new Error(`import failed: ${JSON.stringify(res.body)}`)
  return res.body.ids as number[]
}

/** A delivery to `profileIds`, prepared and approved (status ready). */
export async function readyDelivery(
  h: Harness,
  profileIds: number[],
  delivery: Record<string, unknown> = {},
) {
  const created = await h.api('POST', '/api/deliveries', {
    body: {
      label: 'Test',
      subject: 'Hello {{firstName}}',
      text: 'Hi {{firstName}}',
      audience: { profileIds },
      ...delivery,
    },
  })
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`)
  const id = created.body.id as number
  await h.api('POST', `/api/deliveries/${id}/prepare`)
  await h.waitForStatus(id, 'awaiting_approval')
  const approved = await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
  if (approved.status !== 200) throw new Error(`approve failed: ${JSON.stringify(approved.body)}`)
  return id
}

/** Messages the sink received for one delivery, by Message-ID. */
export function receivedFor(h: Harness, deliveryId: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of h.sink.messages) {
    if (message.messageId?.startsWith(`<herald.d${deliveryId}.`))
      counts.set(message.messageId, (counts.get(message.messageId) ?? 0) + 1)
  }
  return counts
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `check` until it holds (returns anything but false, null or undefined), or fails after
 * `timeoutMs` saying what it waited for and the last value seen. Tests await conditions this way, never
 * a fixed time.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    last = await check()
    if (last !== false && last !== null && last !== undefined) return last as T
    if (Date.now() >= deadline) break
    await sleep(intervalMs)
  }
  throw new Error(`waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(last)}`)
}

/** Waits until the clock reads `instant` (ms): for tests that need time itself to pass, e.g. past a date. */
export async function untilClock(instant: number): Promise<void> {
  while (Date.now() < instant) await sleep(Math.min(instant - Date.now(), 1000))
}

/** The Temporal handle of a delivery's workflow. */
export function deliveryWorkflow(h: Harness, deliveryId: number) {
  return h.client.workflow.getHandle(deliveryWorkflowId(deliveryId, h.config.temporal.workflowIdPrefix))
}

/**
 * Each run's history length, first to last, following continue-as-new through the histories themselves
 * (strongly consistent, where visibility's list lags behind).
 */
export async function historyChain(h: Harness, workflowId: string): Promise<number[]> {
  const { raw } = await h.client.workflow.getHandle(workflowId).describe()
  const lengths: number[] = []
  let runId: string | null | undefined = raw.workflowExecutionInfo?.firstRunId
  while (runId) {
    const events = (await h.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []
    lengths.push(events.length)
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId
  }
  return lengths
}

/**
 * Nothing of the delivery can reach the SMTP server any more: no batch activity is running (a pause or
 * stop waits for their cancellation to complete) and no sending log is claimed but unrecorded.
 */
export async function nothingInFlight(h: Harness, deliveryId: number): Promise<boolean> {
  const { raw } = await deliveryWorkflow(h, deliveryId).describe()
  const [{ n }] = await h.db
    .knex('sending_log')
    .where({ delivery_id: deliveryId, status: 'sending' })
    .count('* as n')
  return (raw.pendingActivities?.length ?? 0) === 0 && Number(n) === 0
}
