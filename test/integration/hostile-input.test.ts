import crypto from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import fc from 'fast-check'
import { WorkflowNotFoundError } from '@temporalio/client'
import { createApp, type HeraldApp } from '../../server/app'
import * as s from '../../api/schemas'
import * as m from '../../api/monitoring-schemas'
import * as rs from '../../api/recurring-schemas'
import { WebhookCreate } from '../../api/routes/webhooks'
import { ProofInput } from '../../api/routes/proofs'
import { deliveryActions } from '../../dashboard/deployment'
import { roles } from '../../domain/roles'
import { trackingKinds, type TrackingKind } from '../../domain/tracking-token'
import { TrackingUrls, trackingPaths } from '../../mail/tracking-urls'
import type { Database } from '../../persistence/database'
import { createUser, issueToken } from '../../persistence/users'
import { createWebhookEndpoint } from '../../persistence/webhooks'
import { deliveryWorkflowId } from '../../workflows/messages'
import { deliveryStatsWorkflowId, stats as statsQuery } from '../../workflows/stats-messages'
import { recurringScheduleId } from '../../workflows/recurring-messages'
import {
  applyMutation,
  badDate,
  badPathValue,
  badQueryValue,
  badTimeZone,
  headerInjection,
  MalformedBodies,
  malformedJson,
  operationsOf,
  pathSegment,
  wrongContentType,
  type HostileRequest,
  type OpenApiDocument,
  type Operation,
} from '../support/malformed'
import { importProfiles, readyDelivery, startHarness, waitUntil, type Harness } from '../support/harness'

/**
 * Thousands of malformed requests on every route — the API's (from its OpenAPI document), the tracking
 * links and the dashboard's pages and forms — sent over HTTP with a token that has every right, so what
 * refuses them is validation, not authorization. None may fail with a 5xx, start a workflow, send a
 * command to one, or change a row.
 */
describe('hostile input', () => {
  let h: Harness
  let app: HeraldApp
  let server: ServerType
  let origin: string
  let token: string
  let doc: OpenApiDocument
  const ids = {
    profiles: [] as number[],
    draft: 0,
    awaitingApproval: 0,
    ready: 0,
    finished: 0,
    recurring: 0,
    user: 0,
    sacrificialToken: 0,
    webhook: 0,
    csvImport: 0,
  }
  const quarantined = 'quarantined@example.com'
  let session = ''
  let csrf = ''

  const tally = {
    requests: 0,
    byStatus: {} as Record<number, number>,
    serverErrors: [] as string[],
    /** Malformed requests that were not refused, with fast-check's counterexample. */
    accepted: [] as string[],
  }

  beforeAll(async () => {
    h = await startHarness()
    app = createApp({ db: h.db, temporal: h.client, config: h.config, sink: h.sink })
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    doc = (await (await fetch(`${origin}/api/openapi.json`)).json()) as OpenApiDocument

    const everyone = await createUser(h.db, 'hostile', [...roles])
    token = (await issueToken(h.db, everyone.id, 'hostile')).token
    ids.user = everyone.id
    ids.sacrificialToken = (await issueToken(h.db, everyone.id, 'sacrificial')).id
    // An endpoint row (no dispatcher: nothing is raised while this test runs) for DELETE to aim at.
    ids.webhook = await createWebhookEndpoint(h.db, {
      url: 'https://hooks.example.com/herald',
      events: ['alert.raised'],
      secret: 'a-webhook-secret-of-some-length',
      createdBy: 'hostile',
    })
    ids.profiles = await importProfiles(h, 3)
    const csvImport = await h.app.request('/api/profiles/import', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.creator}`, 'content-type': 'text/csv' },
      body: 'externalId,email\nhostile-csv,hostile-csv@example.com\n',
    })
    ids.csvImport = ((await csvImport.json()) as { id: number }).id
    await fixtureDeliveries()
    await fixtureRecurringAndAddresses()
    await logIntoDashboard()
    // The finished delivery's stats workflow has computed its figures, then waits an hour: it is still.
    // (Until the finished delivery starts it, its stats workflow is not found: not yet, not an error.)
    await waitUntil('the stats of the finished delivery', () =>
      h.client.workflow
        .getHandle(statsWorkflowId(ids.finished))
        .query(statsQuery)
        .catch((err: unknown) => (err instanceof WorkflowNotFoundError ? null : Promise.reject(err))),
    )
  })
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve))
    await h?.close()
  })

  async function fixtureDeliveries() {
    const draft = await h.api('POST', '/api/deliveries', {
      body: { label: 'Draft', subject: 'S', text: 'T', audience: { profileIds: ids.profiles } },
    })
    ids.draft = draft.body.id
    const awaiting = await h.api('POST', '/api/deliveries', {
      body: { label: 'Awaiting', subject: 'S', text: 'T', audience: { profileIds: ids.profiles } },
    })
    ids.awaitingApproval = awaiting.body.id
    await h.api('POST', `/api/deliveries/${ids.awaitingApproval}/prepare`)
    await h.waitForStatus(ids.awaitingApproval, 'awaiting_approval')
    ids.ready = await readyDelivery(h, ids.profiles, { label: 'Ready' })
    ids.finished = await readyDelivery(h, ids.profiles, {
      label: 'Finished',
      tracking: true,
      html: '<p>Hi <a href="https://example.com/a">a</a></p>',
    })
    await h.api('POST', `/api/deliveries/${ids.finished}/confirm`, { as: 'start', body: {} })
    await h.waitForStatus(ids.finished, 'finished')
  }

  async function fixtureRecurringAndAddresses() {
    const recurring = await h.api('POST', '/api/recurring-deliveries', {
      body: {
        label: 'Yearly',
        subject: 'S',
        text: 'T',
        audience: { profileIds: ids.profiles },
        recurrence: { cron: '0 9 1 1 *', timeZone: 'Europe/Paris' },
        confirmBeforeEachSend: true,
      },
    })
    expect(recurring.status).toBe(201)
    ids.recurring = recurring.body.id
    const bounce = await h.api('POST', '/api/bounces', {
      as: 'admin',
      body: { events: [{ type: 'hard', email: quarantined }] },
    })
    expect(bounce.status).toBe(200)
  }

  async function logIntoDashboard() {
    // The login page first: its form carries a token tied to the login cookie it sets.
    const loginPage = await fetch(`${origin}/login`)
    const loginCookie = loginPage.headers.getSetCookie()[0].split(';')[0]
    const loginToken = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]
    const login = await fetch(`${origin}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie: loginCookie },
      body: new URLSearchParams({ token, next: '/', _csrf: loginToken }).toString(),
      redirect: 'manual',
    })
    session = login.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith('herald_session='))!
      .split(';')[0]
    const page = await (
      await fetch(`${origin}/deliveries/${ids.draft}`, { headers: { cookie: session } })
    ).text()
    csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]
  }

  // ── What must not change ──────────────────────────────────────────────────────────────────────

  async function tables(db: Database): Promise<string[]> {
    if (db.dialect === 'sqlite') {
      const rows: { name: string }[] = await db
        .knex('sqlite_master')
        .where('type', 'table')
        .andWhereNot('name', 'like', 'sqlite_%')
        .select('name')
      return rows.map((r) => r.name).sort()
    }
    const rows: { tablename: string }[] = await db
      .knex('pg_tables')
      .whereRaw('schemaname = current_schema()')
      .select('tablename')
    return rows.map((r) => r.tablename).sort()
  }

  /** Each table's row count and a checksum of all its rows. */
  async function databaseState(): Promise<Record<string, string>> {
    const state: Record<string, string> = {}
    for (const table of await tables(h.db)) {
      const rows: unknown[] = await h.db.knex(table).select('*')
      const lines = rows.map((row) => JSON.stringify(row)).sort()
      state[table] = `${rows.length} ${crypto.createHash('sha256').update(lines.join('\n')).digest('hex')}`
    }
    return state
  }

  const statsWorkflowId = (id: number) => deliveryStatsWorkflowId(id, h.config.temporal.workflowIdPrefix)

  /** A workflow as Temporal describes it by id (strongly consistent): its run, status and history length. */
  async function described(workflowId: string): Promise<string> {
    try {
      const d = await h.client.workflow.getHandle(workflowId).describe()
      return `${workflowId} ${d.runId} ${d.status.name} ${d.historyLength}`
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return `${workflowId} none`
      throw err
    }
  }

  /**
   * What Temporal holds for this test: every workflow a request could have started or commanded, looked
   * up by id (the delivery's and its stats workflow, for each delivery row); each schedule's actions and
   * pause state (a run starts only through them); and every workflow visibility lists on the test's task
   * queue, once it has caught up (see visibilityCaughtUp).
   */
  async function temporalState(): Promise<string[]> {
    const state: string[] = []
    const prefix = h.config.temporal.workflowIdPrefix
    for (const { id } of await h.db.knex('delivery').select('id').orderBy('id')) {
      state.push(
        await described(deliveryWorkflowId(Number(id), prefix)),
        await described(statsWorkflowId(Number(id))),
      )
    }
    for (const { id } of await h.db.knex('recurring_delivery').select('id').orderBy('id')) {
      const { info, state: scheduled } = await h.client.schedule
        .getHandle(recurringScheduleId(Number(id), prefix))
        .describe()
      state.push(`schedule ${id}: ${info.numActionsTaken} actions, paused ${scheduled.paused}`)
    }
    await visibilityCaughtUp()
    for await (const wf of h.client.workflow.list({
      query: `TaskQueue = "${h.config.temporal.taskQueue}"`,
    })) {
      state.push(`listed ${await described(wf.workflowId)}`)
    }
    return state.sort()
  }

  /**
   * Visibility (list) is eventually consistent: a workflow started a moment ago may not be listed yet. A
   * sentinel workflow started now, on a queue of its own, is listed once visibility has caught up with
   * the starts before it; it is terminated at once (no worker ever takes it).
   */
  async function visibilityCaughtUp(): Promise<void> {
    const workflowId = `${h.config.temporal.workflowIdPrefix}visibility-sentinel-${++sentinels}`
    const sentinel = await h.client.workflow.start('visibilitySentinel', {
      workflowId,
      taskQueue: `${h.config.temporal.taskQueue}-sentinel`,
    })
    await waitUntil(`visibility to list ${workflowId}`, async () => {
      for await (const _ of h.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) return true
      return false
    })
    await sentinel.terminate('visibility caught up')
  }
  let sentinels = 0

  // ── Sending ───────────────────────────────────────────────────────────────────────────────────

  async function send(req: HostileRequest): Promise<Response> {
    const headers = { ...req.headers }
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k]
    // A string body makes fetch add `text/plain`; bytes go without a content type when there is none.
    const body = typeof req.body === 'string' && !headers['content-type'] ? Buffer.from(req.body) : req.body
    const res = await fetch(origin + req.url, {
      method: req.method.toUpperCase(),
      headers,
      body,
      redirect: 'manual',
    })
    await res.arrayBuffer()
    tally.requests++
    tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1
    if (res.status >= 500)
      tally.serverErrors.push(`${res.status} ${req.method} ${req.url.slice(0, 200)} (${req.kind})`)
    return res
  }

  /** The dashboard refuses a form by status, or by redirecting with an error notice. */
  function flashIsError(res: Response): boolean {
    const flash = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('herald_flash='))
      ?.split(';')[0]
      .slice('herald_flash='.length)
    if (!flash) return false
    return (JSON.parse(Buffer.from(flash, 'base64url').toString('utf8')) as { kind: string }).kind === 'error'
  }

  const refused = (res: Response) => res.status >= 400 && res.status < 500

  async function attack(
    name: string,
    requests: fc.Arbitrary<HostileRequest>,
    numRuns: number,
    accepted: (req: HostileRequest, res: Response) => boolean,
  ) {
    try {
      await fc.assert(
        fc.asyncProperty(requests, async (req) => {
          const res = await send(req)
          if (!accepted(req, res)) throw new Error(`${name}: ${req.kind} got ${res.status}`)
        }),
        { numRuns },
      )
    } catch (err) {
      // Every route is attacked whatever one of them did; the counterexamples are reported together.
      tally.accepted.push((err as Error).message.slice(0, 1500))
    }
  }

  // ── The API, from its OpenAPI document ─────────────────────────────────────────────────────────

  /** A valid body for each body schema, so that each malformed request is wrong in one place only. */
  function validBodies(): Record<
    string,
    { body: unknown; schema: { safeParse(v: unknown): { success: boolean } } }
  > {
    const audience = { profileIds: ids.profiles }
    const content = {
      label: 'Hostile',
      subject: 'Hello {{firstName}}',
      text: 'Hi',
      html: '<p>Hi</p>',
      fromName: 'Herald',
      fromEmail: 'news@example.com',
      audience,
      tracking: true,
      guarantee: 'at_least_once',
      targetLimit: 10,
    }
    return {
      ProfilesImport: {
        schema: s.ProfilesImport,
        body: {
          profiles: [
            {
              externalId: 'hostile-1',
              email: 'ada@example.com',
              firstName: 'Ada',
              lastName: 'Lovelace',
              timeZone: 'Europe/London',
              attributes: { plan: 'pro' },
              subscribed: true,
            },
          ],
        },
      },
      DeliveryCreate: {
        schema: s.DeliveryCreate,
        body: {
          ...content,
          timeZone: 'Europe/Paris',
          contactDate: '2030-01-01T09:00',
          requireApproval: true,
        },
      },
      DeliveryPatch: {
        schema: s.DeliveryPatch,
        body: { label: 'Renamed', subject: 'New {{firstName}}', audience },
      },
      Reject: { schema: s.RejectInput, body: { reason: 'Not yet' } },
      Confirm: { schema: s.ConfirmInput, body: { expectedMessages: 3 } },
      Schedule: {
        schema: s.ScheduleInput,
        body: { contactDate: '2030-01-01T09:00', timeZone: 'Europe/Paris' },
      },
      RecurringDeliveryCreate: {
        schema: rs.RecurringCreate,
        body: {
          ...content,
          recurrence: {
            cron: '0 9 * * *',
            timeZone: 'Europe/Paris',
            startsAt: '2030-01-01T00:00',
            endsAt: '2031-01-01T00:00',
          },
          aggregation: 'none',
          confirmBeforeEachSend: true,
        },
      },
      RunConfirm: { schema: rs.RunConfirm, body: { expectedMessages: 3 } },
      UserCreate: { schema: s.UserCreate, body: { name: 'mallory', roles: ['viewer'] } },
      TokenCreate: { schema: s.TokenCreate, body: { label: 'ci' } },
      WebhookCreate: {
        schema: WebhookCreate,
        body: {
          url: 'https://hooks.example.com/herald?team=ops',
          events: ['delivery.finished', 'alert.raised'],
          secret: 'a-webhook-secret-of-some-length',
        },
      },
      BounceReport: {
        schema: m.BounceReport,
        body: {
          events: [
            { type: 'soft', email: 'ada@example.com', reason: 'mailbox full', at: '2030-01-01T00:00:00Z' },
          ],
        },
      },
      ProofInput: {
        schema: ProofInput,
        body: { emails: ['proof@example.com'], asProfiles: [ids.profiles[0]] },
      },
      NoInput: { schema: s.NoInput, body: {} },
    }
  }

  /** Ids that exist, so a malformed request gets past "unknown id" to the checks of its input. */
  function existing(op: Operation, param: string): string[] {
    const deliveries = [ids.draft, ids.awaitingApproval, ids.ready, ids.finished].map(String)
    if (param === 'runId') return ['1']
    if (param === 'log') return ['sending-logs', 'tracking-logs']
    if (param === 'email') return [quarantined]
    if (op.path.startsWith('/api/deliveries/')) return deliveries
    if (op.path.startsWith('/api/recurring-deliveries/')) return [String(ids.recurring)]
    if (op.path.startsWith('/api/profiles/')) return [String(ids.profiles[0])]
    if (op.path.startsWith('/api/users/')) return [String(ids.user)]
    if (op.path.startsWith('/api/tokens/')) return [String(ids.sacrificialToken)]
    if (op.path.startsWith('/api/webhooks/')) return [String(ids.webhook)]
    if (op.path.startsWith('/api/sink/messages/')) return ['1']
    if (op.path.startsWith('/api/imports/')) return [String(ids.csvImport)]
    throw new Error(
      `no existing value for {${param}} of ${op.path}: add one, so its requests reach validation`,
    )
  }

  function apiRequests(op: Operation): fc.Arbitrary<HostileRequest> {
    const bodies = new MalformedBodies(doc.components.schemas)
    const pathParams = op.parameters.filter((p) => p.in === 'path')
    const queryParams = op.parameters.filter((p) => p.in === 'query')
    const goodPath = fc.record(
      Object.fromEntries(pathParams.map((p) => [p.name, fc.constantFrom(...existing(op, p.name))])),
    ) as fc.Arbitrary<Record<string, string>>
    const base = op.body ? validBodies()[op.body.name]?.body : undefined
    if (op.body && base === undefined)
      throw new Error(`no valid body for ${op.body.name}: add one to validBodies()`)
    const json = base === undefined ? undefined : JSON.stringify(base)

    const build = (
      kind: string,
      path: Record<string, string>,
      parts: { query?: Record<string, string>; body?: string | Uint8Array; contentType?: string } = {},
    ): HostileRequest => {
      const url =
        op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathSegment(path[name])) +
        (parts.query ? `?${new URLSearchParams(parts.query).toString()}` : '')
      const body = 'body' in parts ? parts.body : json
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      if (body !== undefined) headers['content-type'] = parts.contentType ?? 'application/json'
      return { method: op.method, url, headers, body, kind }
    }

    const kinds: fc.Arbitrary<HostileRequest>[] = []
    for (const param of pathParams) {
      kinds.push(
        fc
          .tuple(goodPath, badPathValue(param.schema))
          .map(([path, bad]) =>
            build(`bad {${param.name}}: ${JSON.stringify(bad)}`, { ...path, [param.name]: bad }),
          ),
      )
    }
    for (const param of queryParams) {
      const bad = badQueryValue(param.schema)
      if (bad)
        kinds.push(
          fc
            .tuple(goodPath, bad)
            .map(([path, value]) =>
              build(`bad ?${param.name}=${JSON.stringify(value)}`, path, { query: { [param.name]: value } }),
            ),
        )
    }
    if (op.body) {
      for (const mutation of bodies.mutations(op.body.schema, base)) {
        kinds.push(
          fc
            .tuple(goodPath, mutation)
            .map(([path, mut]) => build(mut.what, path, { body: JSON.stringify(applyMutation(base, mut)) })),
        )
      }
      kinds.push(
        fc
          .tuple(goodPath, malformedJson(base))
          .map(([path, raw]) => build('malformed JSON', path, { body: raw })),
      )
    }
    if (op.method !== 'get') {
      kinds.push(
        fc.tuple(goodPath, wrongContentType).map(([path, type]) =>
          build(`a body that is not JSON (${type || 'no content type'})`, path, {
            body: json ?? 'x=1',
            contentType: type,
          }),
        ),
      )
    } else {
      // Reads take unknown and repeated parameters as they come: they must still answer.
      kinds.push(
        fc
          .tuple(
            goodPath,
            fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 30 }), { maxKeys: 4 }),
          )
          .map(([path, query]) => build('unknown query parameters', path, { query })),
      )
    }
    if (!kinds.length) throw new Error(`no malformed request for ${op.method} ${op.path}`)
    return fc.oneof(...kinds)
  }

  const apiExpectation = (op: Operation) => (req: HostileRequest, res: Response) =>
    op.method === 'get' && req.kind === 'unknown query parameters' ? res.status < 500 : refused(res)

  // ── Tracking links ─────────────────────────────────────────────────────────────────────────────

  function trackingRequests(kind: TrackingKind, method: 'get' | 'post'): fc.Arbitrary<HostileRequest> {
    const secret = h.config.trackingSecret!
    const signed = (delivery: number, profile: number, as: TrackingKind, linkNo?: number) =>
      new TrackingUrls(secret, origin, delivery).url(as, profile, linkNo).split('/').pop()!
    const real = signed(ids.finished, ids.profiles[0], kind, kind === 'click' ? 1 : undefined)
    const tokens = fc.oneof(
      fc.string({ minLength: 1, maxLength: 80 }).map((t) => ({ t, why: 'junk' })),
      // URLs drop "." and ".." segments (%2E too): the request reaches /t/<kind>/ or /t/, no token at all
      fc.constantFrom('.', '..').map((t) => ({ t, why: 'a dot segment' })),
      fc.nat({ max: real.length - 1 }).map((i) => ({
        t: real.slice(0, i) + (real[i] === 'A' ? 'B' : 'A') + real.slice(i + 1),
        why: 'one character altered',
      })),
      fc.integer({ min: 1, max: real.length - 1 }).map((i) => ({ t: real.slice(0, i), why: 'truncated' })),
      fc.constant({ t: `${real}x`, why: 'lengthened' }),
      fc.constant({ t: signed(999_999, ids.profiles[0], kind, 1), why: 'signed, unknown delivery' }),
      fc.constant({ t: signed(ids.draft, ids.profiles[0], kind, 1), why: 'signed, a message never sent' }),
      fc.constant({ t: signed(ids.finished, 999_999, kind, 1), why: 'signed, unknown profile' }),
      fc.constantFrom(...trackingKinds.filter((k) => k !== kind)).map((other) => ({
        t: signed(ids.finished, ids.profiles[0], other, 1),
        why: `a ${other} link used as ${kind}`,
      })),
      ...(kind === 'click'
        ? [
            fc.constant({
              t: signed(ids.finished, ids.profiles[0], 'click', 99),
              why: 'a link the message did not have',
            }),
          ]
        : []),
    )
    return tokens.map(({ t, why }): HostileRequest => ({
      method,
      url: `${trackingPaths[kind]}/${pathSegment(t)}`,
      headers: {
        'user-agent': method === 'post' ? 'x'.repeat(1000) : 'hostile',
        ...(method === 'post' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: method === 'post' ? 'List-Unsubscribe=One-Click' : undefined,
      kind: `tracking ${kind}: ${why}`,
    }))
  }

  // ── The dashboard ──────────────────────────────────────────────────────────────────────────────

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
  const brokenMultipart = fc.constantFrom(
    '--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n',
    '--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--',
    'no boundary at all',
  )

  function loginRequests(): fc.Arbitrary<HostileRequest> {
    const post = (
      body: string,
      contentType: string,
      why: string,
      headers: Record<string, string> = { origin },
    ) => ({
      method: 'post',
      url: '/login',
      headers: { ...headers, 'content-type': contentType },
      body,
      kind: `login: ${why}`,
    })
    const urlencoded = 'application/x-www-form-urlencoded'
    return fc.oneof(
      fc
        .string({ maxLength: 60 })
        .map((t) => post(form({ token: t, next: '/' }), urlencoded, 'an unknown token')),
      headerInjection.map((t) =>
        post(form({ token: `hrld_${t}` }), urlencoded, 'a token with control characters'),
      ),
      fc.constant(post(form({ next: '//evil.example/' }), urlencoded, 'no token')),
      fc.constant(post(form({ token }), urlencoded, 'from another site', { origin: 'http://evil.example' })),
      fc.constant(post(form({ token }), urlencoded, 'without an origin', {})),
      brokenMultipart.map((body) => post(body, 'multipart/form-data; boundary=x', 'a broken multipart form')),
      fc.constant(post(JSON.stringify({ token: 'hrld_x' }), 'application/json', 'JSON instead of a form')),
      fc.constant(post('x'.repeat(70 * 1024), urlencoded, 'a form over 64 KB')),
    )
  }

  function actionRequests(): fc.Arbitrary<HostileRequest> {
    const deliveries = [ids.draft, ids.awaitingApproval, ids.ready, ids.finished]
    const post = (
      id: string | number,
      action: string,
      fields: Record<string, string>,
      why: string,
      extra: { headers?: Record<string, string>; body?: string; contentType?: string } = {},
    ): HostileRequest => ({
      method: 'post',
      url: `/deliveries/${id}/${action}`,
      headers: {
        cookie: session,
        origin,
        'content-type': extra.contentType ?? 'application/x-www-form-urlencoded',
        ...extra.headers,
      },
      body: extra.body ?? form(fields),
      kind: `dashboard ${action}: ${why}`,
    })
    const delivery = fc.constantFrom(...deliveries)
    const action = fc.constantFrom(...deliveryActions)
    const notCount = fc.string({ maxLength: 10 }).filter((v) => !/^\d+$/.test(v))
    return fc.oneof(
      fc.tuple(delivery, action).map(([id, a]) => post(id, a, {}, 'no CSRF token')),
      fc
        .tuple(delivery, action, fc.string({ maxLength: 50 }))
        .map(([id, a, t]) =>
          post(id, a, { _csrf: t, expectedMessages: '3', reason: 'r' }, 'a wrong CSRF token'),
        ),
      fc
        .tuple(delivery, action)
        .map(([id, a]) =>
          post(id, a, { _csrf: csrf }, 'from another site', { headers: { origin: 'http://evil.example' } }),
        ),
      fc.tuple(delivery, action).map(([id, a]) =>
        post(id, a, {}, 'JSON instead of a form', {
          body: JSON.stringify({ _csrf: csrf }),
          contentType: 'application/json',
        }),
      ),
      fc.tuple(delivery, action, brokenMultipart).map(([id, a, body]) =>
        post(id, a, {}, 'a broken multipart form', {
          body,
          contentType: 'multipart/form-data; boundary=x',
        }),
      ),
      fc
        .tuple(fc.constantFrom('0', '999999', '2147483648', '1e3'), action)
        .map(([id, a]) => post(id, a, { _csrf: csrf }, `unknown delivery ${id}`)),
      fc
        .tuple(
          delivery,
          fc
            .string({ minLength: 1, maxLength: 12 })
            .filter((a) => !(deliveryActions as readonly string[]).includes(a)),
        )
        .map(([id, a]) => post(id, pathSegment(a), { _csrf: csrf }, 'an unknown action')),
      fc
        .tuple(delivery, notCount)
        .map(([id, count]) =>
          post(
            id,
            'confirm',
            { _csrf: csrf, expectedMessages: count },
            `a count that is no number: ${JSON.stringify(count)}`,
          ),
        ),
      fc
        .tuple(delivery, fc.oneof(fc.constant(''), headerInjection, fc.constant('x'.repeat(1001))))
        .map(([id, reason]) => post(id, 'reject', { _csrf: csrf, reason }, 'a bad reason')),
      fc
        .tuple(delivery, badDate, fc.oneof(badTimeZone, fc.constant('Europe/Paris')))
        .map(([id, date, zone]) =>
          post(id, 'schedule', { _csrf: csrf, contactDate: date, timeZone: zone }, 'a bad contact date'),
        ),
    )
  }

  function pageRequests(): fc.Arbitrary<HostileRequest> {
    const junk = fc.string({ maxLength: 20 })
    const paths = fc.oneof(
      fc
        .tuple(junk, junk, junk)
        .map(([page, status, search]) => `/?${new URLSearchParams({ page, status, search })}`),
      fc
        .tuple(fc.constantFrom(ids.draft, ids.finished), junk, junk, junk)
        .map(
          ([id, tab, page, reason]) =>
            `/deliveries/${id}?${new URLSearchParams({ tab, page, reason, status: reason })}`,
        ),
      junk.map((id) => `/deliveries/${pathSegment(id)}`),
      junk.map((id) => `/deliveries/${pathSegment(id)}/live`),
      fc.constantFrom(
        '/deliveries/999999',
        '/deliveries/999999/live',
        '/mailbox/999999',
        '/mailbox/999999/html',
      ),
      junk.map((page) => `/mailbox?${new URLSearchParams({ page })}`),
      junk.map((name) => `/assets/${pathSegment(name)}`),
      junk.map((next) => `/login?${new URLSearchParams({ next })}`),
    )
    return paths.map((url) => ({
      method: 'get',
      url,
      headers: { cookie: session },
      kind: `dashboard page ${url}`,
    }))
  }

  // ── The run ────────────────────────────────────────────────────────────────────────────────────

  test('every valid body the suite starts from is valid, so each request is wrong in one place only', () => {
    for (const [name, { schema, body }] of Object.entries(validBodies())) {
      expect({ name, valid: schema.safeParse(body).success }).toEqual({ name, valid: true })
    }
  })

  test('thousands of malformed requests on every route: no 5xx, no workflow started or commanded, no row changed', async () => {
    const rowsBefore = await databaseState()
    const temporalBefore = await temporalState()
    const operations = operationsOf(doc).filter(
      (op) => op.path !== '/api/openapi.json' && !op.path.startsWith('/api/docs'),
    )
    expect(operations.length).toBeGreaterThan(40)

    for (const op of operations)
      await attack(`${op.method} ${op.path}`, apiRequests(op), 100, apiExpectation(op))
    for (const kind of trackingKinds)
      await attack(`tracking ${kind}`, trackingRequests(kind, 'get'), 60, (req, res) =>
        // An open pixel is answered before its hit is stored; a signed link to a message that does not
        // exist (a deleted delivery) still gets its GIF, and the table checksum below proves nothing is stored.
        kind === 'open' && req.kind.startsWith('tracking open: signed,') && !req.kind.includes('link used as')
          ? res.status === 200 || refused(res)
          : refused(res),
      )
    await attack('tracking unsubscribe post', trackingRequests('unsubscribe', 'post'), 60, (_, res) =>
      refused(res),
    )
    await attack('dashboard login', loginRequests(), 100, (_, res) => refused(res))
    await attack(
      'dashboard actions',
      actionRequests(),
      250,
      (_, res) => refused(res) || (res.status === 303 && flashIsError(res)),
    )
    await attack('dashboard pages', pageRequests(), 100, (_, res) => res.status < 500)
    await hugeBodies()

    expect(tally.serverErrors).toEqual([])
    expect(tally.accepted).toEqual([])
    expect(await temporalState()).toEqual(temporalBefore)
    expect(await databaseState()).toEqual(rowsBefore)
    expect(tally.requests).toBeGreaterThanOrEqual(5000)
    console.log(
      `hostile input (${h.db.dialect}):`,
      JSON.stringify({
        requests: tally.requests,
        serverErrors: tally.serverErrors.length,
        routes: operations.length + 5 + 3,
        workflowsStarted: 0,
        rowsChanged: 0,
        byStatus: tally.byStatus,
      }),
    )
  }, 300_000) // 20 s on CI; 120 s was exceeded once at load 21 — a bound for a busy machine, not a measure

  /** Bodies past the limit, and huge ones under it that validation refuses. */
  async function hugeBodies() {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const profiles = Array.from({ length: 10_001 }, (_, i) => ({
      externalId: `huge-${i}`,
      email: `huge-${i}@example.com`,
    }))
    const cases: HostileRequest[] = [
      {
        method: 'post',
        url: '/api/profiles',
        headers: auth,
        body: JSON.stringify({ profiles }),
        kind: '10,001 profiles',
      },
      {
        method: 'post',
        url: '/api/deliveries',
        headers: auth,
        body: JSON.stringify({
          label: 'L',
          subject: 'S',
          text: 'x'.repeat(1_000_001),
          audience: { all: true },
        }),
        kind: 'a text body over 1 MB',
      },
      {
        method: 'post',
        url: '/api/deliveries',
        headers: auth,
        body: JSON.stringify({
          label: 'L',
          subject: 'S',
          audience: { profileIds: Array.from({ length: 1_000_001 }, (_, i) => i + 1) },
        }),
        kind: 'a million and one profile ids',
      },
      {
        method: 'post',
        url: '/api/profiles',
        headers: auth,
        body: `{"profiles":["${'x'.repeat(21 * 1024 * 1024)}"]}`,
        kind: 'over 20 MB',
      },
    ]
    for (const req of cases) {
      const res = await send(req)
      expect({ kind: req.kind, refused: refused(res) }).toEqual({ kind: req.kind, refused: true })
    }
  }
})
