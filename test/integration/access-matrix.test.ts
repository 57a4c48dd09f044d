import { createApp, type HeraldApp } from '../../server/app'
import { hashToken } from '../../domain/api-tokens'
import { dashboardPaths } from '../../dashboard'
import { rights, roleLabels, roles, type Right, type Role } from '../../domain/roles'
import { TrackingUrls, trackingPaths } from '../../mail/tracking-urls'
import { createUser, issueToken, revokeToken } from '../../persistence/users'
import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'
import { seededSecret } from '../support/seed'

/**
 * Every API route × every role, plus no token, an unknown token, a revoked one and a header that is not
 * a bearer token: generated from the route table (the OpenAPI document and the app's own routes), and
 * held against the rights SPEC.md gives each role ("Roles and access"), written out below.
 */
const specifiedRights: Record<string, Right> = {
  // prepare (and start): create, edit, prepare, delete; import profiles
  'post /api/profiles': 'editDeliveries',
  'post /api/profiles/import': 'editDeliveries',
  'post /api/deliveries': 'editDeliveries',
  'patch /api/deliveries/{id}': 'editDeliveries',
  'delete /api/deliveries/{id}': 'editDeliveries',
  'post /api/deliveries/{id}/prepare': 'editDeliveries',
  'post /api/deliveries/{id}/schedule': 'editDeliveries',
  'post /api/deliveries/{id}/proofs': 'editDeliveries',
  'post /api/recurring-deliveries': 'editDeliveries',
  // approve
  'post /api/deliveries/{id}/approve': 'approveDeliveries',
  'post /api/deliveries/{id}/reject': 'approveDeliveries',
  // start: confirm, pause, resume, stop
  'post /api/deliveries/{id}/confirm': 'startDeliveries',
  'post /api/deliveries/{id}/pause': 'startDeliveries',
  'post /api/deliveries/{id}/resume': 'startDeliveries',
  'post /api/deliveries/{id}/stop': 'startDeliveries',
  'post /api/recurring-deliveries/{id}/runs/{runId}/confirm': 'startDeliveries',
  // workflow (and start): pause, resume, trigger recurrences
  'post /api/recurring-deliveries/{id}/pause': 'runWorkflows',
  'post /api/recurring-deliveries/{id}/resume': 'runWorkflows',
  'post /api/recurring-deliveries/{id}/trigger': 'runWorkflows',
  'post /api/recurring-deliveries/{id}/stop': 'runWorkflows',
  // admin: users, tokens, addresses, webhooks
  'get /api/users': 'administer',
  'post /api/users': 'administer',
  'post /api/users/{id}/tokens': 'administer',
  'delete /api/tokens/{id}': 'administer',
  'get /api/addresses': 'administer',
  'post /api/addresses/{email}/release': 'administer',
  'get /api/webhooks': 'administer',
  'post /api/webhooks': 'administer',
  'delete /api/webhooks/{id}': 'administer',
  'get /api/addresses/{email}/history': 'administer',
  // the bounce webhook's own role (and admin): asynchronous bounces and complaints, nothing else
  'post /api/bounces': 'reportBounces',
  // those who work on deliveries (prepare, approve, start): a full recount of the logs per call
  'post /api/deliveries/{id}/compute-stats': 'computeStats',
  // everyone but the bounce webhook, viewer included: reading
  'get /api/me': 'read',
  'get /api/profiles': 'read',
  'get /api/profiles/{id}': 'read',
  'get /api/profiles/{id}/history': 'read',
  'get /api/imports/{id}': 'read',
  'get /api/deliveries': 'read',
  'get /api/deliveries/{id}': 'read',
  'get /api/deliveries/{id}/sending-logs': 'read',
  'get /api/deliveries/{id}/exclusion-logs': 'read',
  'get /api/deliveries/{id}/kpis': 'read',
  'get /api/deliveries/{id}/proofs': 'read',
  'get /api/deliveries/{id}/tracking-series': 'read',
  'get /api/deliveries/{id}/tracking-logs': 'read',
  'get /api/deliveries/{id}/tracked-urls': 'read',
  'get /api/deliveries/{id}/export/{log}': 'read',
  'get /api/alerts': 'read',
  'get /api/recurring-deliveries': 'read',
  'get /api/recurring-deliveries/{id}': 'read',
  'get /api/recurring-deliveries/{id}/executions': 'read',
  'get /api/recurring-deliveries/{id}/runs': 'read',
  'get /api/recurring-deliveries/{id}/runs/{runId}': 'read',
  'get /api/sink/messages': 'read',
  'get /api/sink/messages/{id}': 'read',
}

type Caller = Role | 'no token' | 'unknown token' | 'revoked token' | 'not a bearer token'
const callers: Caller[] = [...roles, 'no token', 'unknown token', 'revoked token', 'not a bearer token']

interface Operation {
  method: string
  path: string
  right: Right | undefined
  hasBody: boolean
}

describe('the access matrix', () => {
  let h: Harness
  let app: HeraldApp
  let operations: Operation[]
  const tokens = {} as Record<Role, string>
  let revoked = ''
  let finished = 0
  let recurring = 0
  const replies: string[] = []

  beforeAll(async () => {
    h = await startHarness()
    app = createApp({ db: h.db, temporal: h.client, config: h.config, sink: h.sink })
    for (const role of roles) tokens[role] = h.tokens[role]
    // A revoked token of a user holding every role: revocation wins over any right.
    const everyone = await createUser(h.db, 'revoked-everything', [...roles])
    const issued = await issueToken(h.db, everyone.id, 'to revoke')
    await revokeToken(h.db, issued.id)
    revoked = issued.token

    const ids = await importProfiles(h, 2)
    finished = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${finished}/confirm`, { as: 'start', body: {} })
    await h.waitForStatus(finished, 'finished')
    const created = await h.api('POST', '/api/recurring-deliveries', {
      body: {
        label: 'Yearly',
        subject: 'S',
        text: 'T',
        audience: { profileIds: ids },
        recurrence: { cron: '0 9 1 1 *', timeZone: 'UTC' },
        confirmBeforeEachSend: true,
      },
    })
    recurring = created.body.id

    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-required-right'?: Right; requestBody?: unknown }>>
    }
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method,
        path,
        right: op['x-required-right'],
        hasBody: Boolean(op.requestBody),
      })),
    )
  })
  afterAll(() => h?.close())

  const key = (op: { method: string; path: string }) => `${op.method} ${op.path}`

  /** Reads go to things that exist; commands to ids that do not, so that nothing changes as they pass. */
  function urlOf(op: Operation): string {
    const read = op.method === 'get'
    return op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name === 'log') return 'sending-logs'
      if (name === 'email') return 'nobody-here@example.com'
      if (name === 'runId') return '1'
      if (!read) return '999999'
      if (op.path.startsWith('/api/recurring-deliveries/')) return String(recurring)
      if (op.path.startsWith('/api/sink/messages/')) return '1'
      return String(finished)
    })
  }

  function headersOf(caller: Caller): Record<string, string> {
    switch (caller) {
      case 'no token':
        return {}
      case 'unknown token':
        return { authorization: `Bearer hrld_${seededSecret('unknown api token', 32)}` }
      case 'revoked token':
        return { authorization: `Bearer ${revoked}` }
      case 'not a bearer token':
        return { authorization: `Basic ${Buffer.from(`admin:${tokens.admin}`).toString('base64')}` }
      default:
        return { authorization: `Bearer ${tokens[caller]}` }
    }
  }

  test('every API route of the app is in the route table, with the right SPEC.md gives it', () => {
    const inApp = new Set<string>()
    for (const route of app.routes) {
      if (route.method === 'ALL' || !route.path.startsWith('/api/')) continue
      if (route.path === '/api/openapi.json' || route.path.startsWith('/api/docs')) continue
      inApp.add(`${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    }
    const documented = Object.fromEntries(operations.map((op) => [key(op), op.right ?? 'none']))
    expect(Object.keys(documented).sort()).toEqual([...inApp].sort())
    expect(documented).toEqual(specifiedRights)
  })

  test('each route × each caller: 401 without a valid token, 403 naming the role without the right, otherwise allowed', async () => {
    const mismatches: string[] = []
    for (const op of operations) {
      const right = specifiedRights[key(op)]
      for (const caller of callers) {
        const headers = headersOf(caller)
        if (op.hasBody) headers['content-type'] = 'application/json'
        const res = await app.request(urlOf(op), {
          method: op.method.toUpperCase(),
          headers,
          // Not the body the route wants: an allowed caller gets 400, and nothing changes.
          body: op.hasBody ? JSON.stringify({ accessMatrix: true }) : undefined,
        })
        const text = await res.text()
        replies.push(text)
        const error = (text.startsWith('{') ? JSON.parse(text) : {}).error as { message?: string } | undefined
        const expected = expectation(caller, right)
        const seen =
          res.status === 401
            ? 'unauthorized'
            : res.status === 403
              ? error?.message?.includes(`"${roleLabels[rights[right][0]]}" role`)
                ? 'forbidden, naming the role'
                : `forbidden: ${error?.message}`
              : res.status >= 500
                ? `server error ${res.status}`
                : 'allowed'
        if (seen !== expected)
          mismatches.push(`${key(op)} as ${caller}: expected ${expected}, got ${seen} (${res.status})`)
      }
    }
    expect(mismatches).toEqual([])
    console.log(
      'access matrix:',
      JSON.stringify({
        routes: operations.length,
        callers: callers.length,
        cells: operations.length * callers.length,
      }),
    )
  })

  function expectation(caller: Caller, right: Right): string {
    if (!(roles as readonly string[]).includes(caller)) return 'unauthorized'
    return (rights[right] as readonly Role[]).includes(caller as Role)
      ? 'allowed'
      : 'forbidden, naming the role'
  }

  test('skipping approval (requireApproval: false) × each role and policy: only HERALD_APPROVAL=optional and a creator who may approve', async () => {
    const approvingCreator = await createUser(h.db, 'approving-creator', ['prepare', 'approve'])
    const callersOf: [string, string][] = [
      ...roles.map((role): [string, string] => [role, tokens[role]]),
      ['prepare+approve', (await issueToken(h.db, approvingCreator.id, 'test')).token],
    ]
    const body = { label: 'Skip', subject: 'S', text: 'T', audience: { all: true }, requireApproval: false }
    const seen: string[] = []
    for (const policy of ['always', 'optional'] as const) {
      const policyApp = createApp({ db: h.db, temporal: h.client, config: { ...h.config, approval: policy } })
      for (const [caller, token] of callersOf) {
        const res = await policyApp.request('/api/deliveries', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        const reply = (await res.json()) as { error?: { message: string; field?: string } }
        const role = /"([^"]+)" role/.exec(reply.error?.message ?? '')?.[1]
        seen.push(
          `${policy} ${caller}: ${res.status}${reply.error?.field ? ` ${reply.error.field}` : ''}${role ? ` ${role}` : ''}`,
        )
      }
    }
    const refusedAlways = (caller: string) =>
      ['prepare', 'start', 'prepare+approve'].includes(caller)
        ? `always ${caller}: 400 requireApproval`
        : `always ${caller}: 403 Prepare deliveries`
    const underOptional = (caller: string) =>
      caller === 'prepare+approve'
        ? `optional ${caller}: 201`
        : ['prepare', 'start'].includes(caller)
          ? `optional ${caller}: 403 Approve deliveries`
          : `optional ${caller}: 403 Prepare deliveries`
    const names = callersOf.map(([caller]) => caller)
    expect(seen).toEqual([...names.map(refusedAlways), ...names.map(underOptional)])
  })

  test('tokens are stored hashed: no row of api_token holds a token, and no reply shows a token or its hash', async () => {
    const rows: Record<string, unknown>[] = await h.db.knex('api_token').select('*')
    const known = [...Object.values(tokens), revoked, h.tokens.creator]
    const stored = rows.map((row) => JSON.stringify(row))
    for (const token of known) {
      const secretPart = token.slice('hrld_'.length)
      expect(stored.filter((row) => row.includes(secretPart))).toEqual([])
      expect(rows.map((row) => row.token_hash)).toContain(hashToken(token))
    }
    for (const row of rows) expect(String(row.token_hash)).toMatch(/^[0-9a-f]{64}$/)
    const hashes = rows.map((row) => String(row.token_hash))
    for (const reply of replies) {
      for (const token of known) expect(reply).not.toContain(token.slice('hrld_'.length))
      for (const hash of hashes) expect(reply).not.toContain(hash)
    }
  })

  test('every dashboard page and form needs a session: an API token in a header is not one', async () => {
    const concrete = dashboardPaths.map((path) => path.replace('/*', `/${finished}`))
    for (const path of concrete.filter((p) => p !== '/login' && !p.startsWith('/assets'))) {
      for (const auth of [{}, { authorization: `Bearer ${tokens.admin}` }] as Record<string, string>[]) {
        const page = await app.request(path, { headers: auth })
        expect({ path, status: page.status, location: page.headers.get('location') }).toEqual({
          path,
          status: 303,
          location: expect.stringMatching(/^\/login\?next=/),
        })
        const form = await app.request(`${path.replace(/\/$/, '')}/approve`, {
          method: 'POST',
          headers: {
            ...auth,
            origin: 'http://localhost',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: '_csrf=x',
        })
        expect({ path, status: form.status }).toEqual({ path, status: 401 })
      }
    }
  })

  test('tracking links need no token, only a valid signature; a token does not make a forged one pass', async () => {
    const urls = new TrackingUrls(h.config.trackingSecret!, 'http://localhost', finished)
    const [profileId] = (
      await h.db.knex('sending_log').where('delivery_id', finished).select('profile_id')
    ).map((r: { profile_id: number }) => Number(r.profile_id))
    const open = new URL(urls.url('open', profileId)).pathname
    expect((await app.request(open)).status).toBe(200)
    for (const path of Object.values(trackingPaths)) {
      for (const auth of [{}, { authorization: `Bearer ${tokens.admin}` }] as Record<string, string>[]) {
        const forged = await app.request(`${path}/1.${profileId}.forged-signature`, { headers: auth })
        expect({ path, status: forged.status }).toEqual({ path, status: 404 })
      }
    }
  })
})
