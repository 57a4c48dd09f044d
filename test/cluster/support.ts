import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { knex, type Knex } from '@mikro-orm/knex'
import type { Role } from '../../domain/roles'
import { deliveryWorkflowId } from '../../workflows/messages'
import { dropClusterDatabases, startCluster, type Cluster } from '../../runtime/cluster'
import type { ManagedProcess } from '../../runtime/supervisor'

/** The cluster of a test file: fresh databases and a folder of its own, free ports; gone afterwards. */
export interface TestCluster {
  cluster: Cluster
  db: Knex
  api: ApiClient
  close(): Promise<void>
}

export const poolSize = 5

export async function startTestCluster(
  heraldEnv: Record<string, string> = {},
  sink: { replyDelayMs?: number } = {},
): Promise<TestCluster> {
  const prefix = `herald_ct_${crypto.randomBytes(4).toString('hex')}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cluster-'))
  const started = Date.now()
  const cluster = await startCluster({
    dataDir,
    databasePrefix: prefix,
    preferDefaultPorts: false,
    // Messages are kept as files, so that a test can read their links.
    sink: { keepMail: true, ...sink },
    heraldEnv: {
      SMTP_POOL_SIZE: String(poolSize),
      HERALD_MIN_RECURRENCE: '1s',
      HERALD_LOG_LEVEL: 'WARN',
      ...heraldEnv,
    },
    log: (line) => process.stderr.write(`[cluster] ${line}\n`),
  }).catch(async (err: unknown) => {
    await dropClusterDatabases(prefix)
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw err
  })
  process.stderr.write(`[cluster] up in ${Math.round((Date.now() - started) / 1000)} s (${dataDir})\n`)
  const db = knex({ client: 'pg', connection: cluster.databaseUrl, pool: { min: 0, max: 2 } })
  return {
    cluster,
    db,
    api: new ApiClient(cluster.apiUrls, cluster.tokens),
    async close() {
      await db.destroy()
      await cluster.stop()
      await dropClusterDatabases(prefix)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Reply {
  status: number
  body: any
}

/** Herald's HTTP API on its replicas: `call` picks one, `next` alternates between them. */
export class ApiClient {
  private turn = 0

  constructor(
    readonly urls: string[],
    readonly tokens: Record<Role, string>,
  ) {}

  /** The replica whose turn it is, alternately. */
  next(): number {
    return this.turn++ % this.urls.length
  }

  async call(
    replica: number,
    method: string,
    url: string,
    {
      as = 'start',
      body,
      headers = {},
    }: { as?: Role; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const res = await fetch(`${this.urls[replica]}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.tokens[as]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed }
  }

  /** On the replica whose turn it is; fails unless the status is the one expected. */
  async expect(status: number, method: string, url: string, options?: Parameters<ApiClient['call']>[3]) {
    const replica = this.next()
    const reply = await this.call(replica, method, url, options)
    if (reply.status !== status)
      throw new Error(`${method} ${url} on API ${replica + 1}: ${reply.status} ${JSON.stringify(reply.body)}`)
    return reply.body
  }
}

/** Polls (alternating replicas) until `done` holds for the delivery; fails with what it saw last. */
export async function waitForDelivery(
  api: ApiClient,
  id: number,
  done: (delivery: any) => boolean,
  timeoutMs = 120_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs
  let last: any = null
  while (Date.now() < deadline) {
    last = (await api.call(api.next(), 'GET', `/api/deliveries/${id}`, { as: 'viewer' })).body
    if (done(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`delivery ${id}: ${JSON.stringify(last?.status)} ${JSON.stringify(last?.progress)}`)
}

/** Imports `count` profiles (5,000 a request) and returns their ids. */
export async function importProfiles(api: ApiClient, count: number, tag: string): Promise<number[]> {
  const ids: number[] = []
  for (let start = 0; start < count; start += 5000) {
    const profiles = Array.from({ length: Math.min(5000, count - start) }, (_, i) => ({
      externalId: `${tag}-${start + i + 1}`,
      email: `${tag}-${start + i + 1}@example.com`,
      firstName: `First${start + i + 1}`,
      attributes: { plan: 'pro' },
    }))
    ids.push(...(await api.expect(200, 'POST', '/api/profiles', { body: { profiles } })).ids)
  }
  return ids
}

/** A delivery to `profileIds`, prepared and approved, through both replicas in turn. */
export async function readyDelivery(api: ApiClient, profileIds: number[], label: string): Promise<number> {
  const { id } = await api.expect(201, 'POST', '/api/deliveries', {
    body: { label, subject: 'Hello {{firstName}}', text: 'Hi {{firstName}}', audience: { profileIds } },
  })
  await api.expect(200, 'POST', `/api/deliveries/${id}/prepare`)
  await waitForDelivery(api, id, (d) => d.status === 'awaiting_approval')
  await api.expect(200, 'POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
  return id
}

/** The workers holding a batch of the delivery now, as Temporal last saw them. */
export async function workersSending(c: Cluster, deliveryId: number): Promise<ManagedProcess[]> {
  const { raw } = await c.client.workflow.getHandle(deliveryWorkflowId(deliveryId)).describe()
  const identities = new Set((raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity))
  return c.workers.filter((w) => identities.has(`${w.pid}@${os.hostname()}`))
}

/** Sending logs of a delivery marked in doubt, by profile. */
export async function inDoubtProfiles(db: Knex, deliveryId: number): Promise<number[]> {
  const rows: { profile_id: number }[] = await db('sending_log')
    .where({ delivery_id: deliveryId, in_doubt: true })
    .select('profile_id')
  return rows.map((r) => Number(r.profile_id))
}

/** Polls until `check` holds, every 100 ms, or fails after `timeoutMs` saying what it waited for. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
