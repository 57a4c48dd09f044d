import { createApp, type HeraldApp } from '../../server/app'
import { createUser, issueToken } from '../../persistence/users'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'

/**
 * Item 7 of issue 16: approval cannot be skipped by the delivery's author. Skipping it at creation
 * (`requireApproval: false`) needs both the installation's policy (`HERALD_APPROVAL=optional`; the
 * default, `always`, refuses it) and the "Approve deliveries" role; and a confirmed delivery whose
 * date changes goes back to "ready", to be confirmed again, so a `prepare` user cannot move a
 * confirmed send to now.
 */
describe('the approval policy', () => {
  let h: Harness
  let profileIds: number[]
  let optional: HeraldApp
  let approvingStarter: string
  beforeAll(async () => {
    h = await startHarness()
    profileIds = await importProfiles(h, 2)
    optional = createApp({
      db: h.db,
      temporal: h.client,
      config: { ...h.config, approval: 'optional' } as never,
    })
    const user = await createUser(h.db, 'approving-starter', ['start', 'approve'])
    approvingStarter = (await issueToken(h.db, user.id, 'test')).token
  })
  afterAll(() => h?.close())

  const delivery = (extra: Record<string, unknown> = {}) => ({
    label: 'Policy',
    subject: 'Hello',
    text: 'Hi',
    audience: { profileIds },
    ...extra,
  })

  async function call(app: HeraldApp, token: string, method: string, url: string, body?: unknown) {
    const res = await app.request(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  const deliveryCount = async () => Number((await h.db.knex('delivery').count('* as n'))[0].n)

  test('by default (HERALD_APPROVAL=always) requireApproval:false is refused with 400 naming the field, and nothing is created', async () => {
    expect(h.config).toMatchObject({ approval: 'always' })
    const before = await deliveryCount()
    for (const as of ['creator', 'start', 'prepare'] as const) {
      const res = await h.api('POST', '/api/deliveries', { as, body: delivery({ requireApproval: false }) })
      expect({ as, status: res.status, field: res.body?.error?.field }).toEqual({
        as,
        status: 400,
        field: 'requireApproval',
      })
      expect(res.body.error.message).toContain('HERALD_APPROVAL')
    }
    const allowed = await h.api('POST', '/api/deliveries', {
      token: approvingStarter,
      body: delivery({ requireApproval: false }),
    })
    expect(allowed.status).toBe(400)
    expect(await deliveryCount()).toBe(before)
  })

  test('with HERALD_APPROVAL=optional, a creator without the approve role cannot skip approval (403 naming the role)', async () => {
    const before = await deliveryCount()
    for (const token of [h.tokens.creator, h.tokens.start, h.tokens.prepare]) {
      const res = await call(optional, token, 'POST', '/api/deliveries', delivery({ requireApproval: false }))
      expect(res.status).toBe(403)
      expect(res.body.error.message).toContain('"Approve deliveries" role')
    }
    expect(await deliveryCount()).toBe(before)
  })

  test('with HERALD_APPROVAL=optional, a creator who holds the approve role may skip it: prepared, it is ready at once', async () => {
    const res = await call(
      optional,
      approvingStarter,
      'POST',
      '/api/deliveries',
      delivery({ requireApproval: false }),
    )
    expect(res.status).toBe(201)
    expect(res.body.requireApproval).toBe(false)
    await call(optional, approvingStarter, 'POST', `/api/deliveries/${res.body.id}/prepare`)
    await h.waitForStatus(res.body.id, 'ready')
  })

  test('a confirmed delivery whose date a prepare user moves to now goes back to ready and sends nothing until confirmed again', async () => {
    const later = new Date(Date.now() + 3600_000).toISOString()
    const id = await readyDelivery(h, profileIds, { contactDate: later })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 2 },
    })
    expect(confirmed.body).toMatchObject({ status: 'start_pending', confirmedBy: 'start-user' })

    const moved = await h.api('POST', `/api/deliveries/${id}/schedule`, {
      as: 'prepare',
      body: { contactDate: null },
    })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ status: 'ready', contactDate: null, confirmedBy: null })
    // Were it still confirmed, its timer (now due) would have started the send: it must not.
    const { workflowId } = moved.body
    await waitUntil('the workflow to say it waits for a confirmation', async () => {
      const view = await h.client.workflow.getHandle(workflowId).query('state')
      return (view as { status: string }).status === 'ready'
    })
    expect(receivedFor(h, id).size).toBe(0)
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.progress.processed).toBe(0)

    const again = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 2 },
    })
    expect(again.status).toBe(200)
    const done = await h.waitForStatus(id, 'finished')
    expect(done).toMatchObject({ confirmedBy: 'start-user', progress: { delivered: 2 } })
  })

  test('a confirmed delivery moved to another future date goes back to ready too; its content cannot change (409)', async () => {
    const id = await readyDelivery(h, profileIds, {
      contactDate: new Date(Date.now() + 3600_000).toISOString(),
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: {} })
    await h.waitForStatus(id, 'start_pending')
    const edit = await h.api('PATCH', `/api/deliveries/${id}`, {
      as: 'prepare',
      body: { subject: 'Changed' },
    })
    expect(edit.status).toBe(409)
    const moved = await h.api('POST', `/api/deliveries/${id}/schedule`, {
      as: 'prepare',
      body: { contactDate: new Date(Date.now() + 7200_000).toISOString() },
    })
    expect(moved.body).toMatchObject({ status: 'ready', confirmedBy: null, subject: 'Hello {{firstName}}' })
  })
})
