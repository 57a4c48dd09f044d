import { createUser, issueToken } from '../../persistence/users'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  someProfiles,
  startHarness,
  type Harness,
} from '../support/harness'

describe('a delivery from draft to finished', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_APPROVAL: 'optional' } })
  })
  afterAll(() => h?.close())

  test('create, prepare, approve and confirm send one personalised message per profile', async () => {
    const imported = await h.api('POST', '/api/profiles', { body: { profiles: someProfiles(45) } })
    expect(imported.status).toBe(200)
    expect(imported.body).toMatchObject({ created: 45, updated: 0 })

    const created = await h.api('POST', '/api/deliveries', {
      body: {
        label: 'Welcome',
        subject: 'Hello {{firstName}}',
        html: '<p>Hi {{firstName}} {{lastName}}</p>',
        text: 'Hi {{firstName}}',
        audience: { profileIds: imported.body.ids },
      },
    })
    expect(created.status).toBe(201)
    expect(created.body.status).toBe('draft')
    expect(created.body.workflowId).toBe(`${h.config.temporal.workflowIdPrefix}delivery-${created.body.id}`)
    const id = created.body.id

    expect((await h.api('POST', `/api/deliveries/${id}/prepare`)).body.status).toBe('preparing')
    const awaiting = await h.waitForStatus(id, 'awaiting_approval')
    expect(awaiting.messagesToDeliver).toBe(45)
    expect(awaiting.preparationReport).toMatchObject({ target: 45, toDeliver: 45, batches: 3 })
    expect(h.sink.messages).toHaveLength(0)

    const approved = await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    expect(approved.body).toMatchObject({ status: 'ready', approvedBy: 'approve-user' })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 45 },
    })
    expect(confirmed.status).toBe(200)
    expect(confirmed.body.confirmedBy).toBe('start-user')

    const finished = await h.waitForStatus(id, 'finished')
    expect(finished.progress).toMatchObject({
      toDeliver: 45,
      processed: 45,
      delivered: 45,
      failed: 0,
      inDoubt: 0,
      percent: 100,
    })
    expect(receivedFor(h, id).size).toBe(45)
    expect([...receivedFor(h, id).values()].every((n) => n === 1)).toBe(true)
    const message = await h.sink.parsed(h.sink.messages.find((m) => m.to.includes('user7@example.com'))!.seq)
    expect(message.subject).toBe('Hello First7')
    expect(message.text?.trim()).toBe('Hi First7')
    expect(message.html).toContain('Hi First7 Last7')
    expect(message.messageId).toBe(`<herald.d${id}.p${imported.body.ids[6]}@herald.localhost>`)

    const logs = await h.api('GET', `/api/deliveries/${id}/sending-logs?status=sent&pageSize=10&page=2`, {
      as: 'viewer',
    })
    expect(logs.body).toMatchObject({ total: 45, page: 2, pageSize: 10 })
    expect(logs.body.items).toHaveLength(10)
    expect(logs.body.items[0]).toMatchObject({ status: 'sent', attempts: 1, inDoubt: false })
  })

  test('a rejection returns the delivery to draft with the reason, and it must be prepared again', async () => {
    const ids = await importProfiles(h, 3)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Reject me', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    const rejected = await h.api('POST', `/api/deliveries/${id}/reject`, {
      as: 'approve',
      body: { reason: 'wrong tone' },
    })
    expect(rejected.status).toBe(200)
    expect(rejected.body).toMatchObject({ status: 'draft', rejectionReason: 'wrong tone' })
    expect((await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })).status).toBe(409)
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
  })

  test('editing a prepared delivery sends it back to draft; the new content is what gets sent', async () => {
    const ids = await importProfiles(h, 2)
    const id = await readyDelivery(h, ids, { subject: 'Old subject' })
    const edited = await h.api('PATCH', `/api/deliveries/${id}`, { body: { subject: 'New subject' } })
    expect(edited.body).toMatchObject({ status: 'draft', subject: 'New subject', version: 2 })
    expect((await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })).status).toBe(409)
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
    await h.waitForStatus(id, 'finished')
    const subjects = h.sink.messages
      .filter((m) => m.messageId?.startsWith(`<herald.d${id}.`))
      .map((m) => m.subject)
    expect(subjects).toEqual(['New subject', 'New subject'])
  })

  test('preparation excludes profiles with the reason and counts what is left to deliver', async () => {
    const stamp = Date.now().toString(36)
    const profiles = [
      { externalId: `${stamp}-ok`, email: `ok-${stamp}@example.com` },
      { externalId: `${stamp}-none`, email: null },
      { externalId: `${stamp}-bad`, email: 'not-an-address' },
      { externalId: `${stamp}-dup1`, email: `dup-${stamp}@example.com` },
      { externalId: `${stamp}-dup2`, email: `DUP-${stamp}@Example.com` },
      { externalId: `${stamp}-unsub`, email: `unsub-${stamp}@example.com`, subscribed: false },
      { externalId: `${stamp}-deny`, email: `deny-${stamp}@example.com` },
      { externalId: `${stamp}-quar`, email: `quar-${stamp}@example.com` },
      { externalId: `${stamp}-ok2`, email: `ok2-${stamp}@example.com` },
      { externalId: `${stamp}-ok3`, email: `ok3-${stamp}@example.com` },
    ]
    const imported = await h.api('POST', '/api/profiles?acceptInvalidEmails=true', { body: { profiles } })
    expect(imported.status).toBe(200)
    await h.db.knex('address_status').insert([
      {
        email: `deny-${stamp}@example.com`,
        status: 'denylisted',
        error_count: 0,
        updated_at: h.db.date(new Date()),
      },
      {
        email: `quar-${stamp}@example.com`,
        status: 'quarantined',
        error_count: 5,
        updated_at: h.db.date(new Date()),
      },
    ])
    const created = await h.api('POST', '/api/deliveries', {
      body: {
        label: 'Exclusions',
        subject: 'S',
        text: 'T',
        audience: { profileIds: imported.body.ids },
        targetLimit: 3,
      },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    const prepared = await h.waitForStatus(id, 'awaiting_approval')
    expect(prepared).toMatchObject({ targetCount: 10, messagesToDeliver: 3, excludedCount: 7 })

    const exclusions = await h.api('GET', `/api/deliveries/${id}/exclusion-logs`, { as: 'viewer' })
    expect(exclusions.body.counts).toEqual({
      no_address: 1,
      invalid_address: 1,
      denylisted: 2,
      quarantined: 1,
      duplicate_address: 1,
      target_limit: 1,
    })
    const byExternal = new Map(
      imported.body.ids.map((pid: number, i: number) => [pid, profiles[i].externalId]),
    )
    const reasons = Object.fromEntries(
      exclusions.body.items.map((e: { profileId: number; reason: string }) => [
        byExternal.get(e.profileId),
        e.reason,
      ]),
    )
    expect(reasons).toEqual({
      [`${stamp}-none`]: 'no_address',
      [`${stamp}-bad`]: 'invalid_address',
      [`${stamp}-dup2`]: 'duplicate_address',
      [`${stamp}-unsub`]: 'denylisted',
      [`${stamp}-deny`]: 'denylisted',
      [`${stamp}-quar`]: 'quarantined',
      [`${stamp}-ok3`]: 'target_limit',
    })
    const onlyQuarantined = await h.api('GET', `/api/deliveries/${id}/exclusion-logs?reason=quarantined`, {
      as: 'viewer',
    })
    expect(onlyQuarantined.body.items).toHaveLength(1)
  })

  test('an audience filter on attributes targets exactly the matching profiles', async () => {
    const plan = `plan-${Date.now()}`
    const ids = await importProfiles(h, 6, (i) => ({ attributes: { plan: i % 2 ? plan : 'free', seats: i } }))
    const created = await h.api('POST', '/api/deliveries', {
      body: {
        label: 'Filtered',
        subject: 'S',
        text: 'T {{attributes.plan}}',
        audience: { filter: [{ field: 'attributes.plan', op: 'eq', value: plan }] },
      },
    })
    await h.api('POST', `/api/deliveries/${created.body.id}/prepare`)
    const prepared = await h.waitForStatus(created.body.id, 'awaiting_approval')
    expect(prepared.messagesToDeliver).toBe(3)
    const logs = await h.api('GET', `/api/deliveries/${created.body.id}/sending-logs`, { as: 'viewer' })
    expect(logs.body.items.map((l: { profileId: number }) => l.profileId)).toEqual([ids[0], ids[2], ids[4]])
  })

  test('critical preparation errors block the send until the content is fixed', async () => {
    const ids = await importProfiles(h, 2)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Broken', subject: 'Hi {{nickname}}', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    const failed = await h.waitForStatus(id, 'preparation_failed')
    expect(failed.preparationReport.messages).toContainEqual({
      severity: 'critical',
      message: 'subject: unknown personalisation field {{nickname}}',
    })
    expect((await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })).status).toBe(409)
    await h.api('PATCH', `/api/deliveries/${id}`, { body: { subject: 'Hi {{firstName}}' } })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
  })

  test('a delivery without approval goes from prepared to ready; a finished one can be deleted', async () => {
    const ids = await importProfiles(h, 1)
    // Skipping approval takes HERALD_APPROVAL=optional and a creator who may approve (README, "Security").
    const approver = await createUser(h.db, 'approving-creator', ['prepare', 'approve'])
    const token = (await issueToken(h.db, approver.id, 'test')).token
    const created = await h.api('POST', '/api/deliveries', {
      token,
      body: {
        label: 'No approval',
        subject: 'S',
        text: 'T',
        audience: { profileIds: ids },
        requireApproval: false,
      },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`, { token })
    await h.waitForStatus(id, 'ready')
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    expect((await h.api('DELETE', `/api/deliveries/${id}`)).status).toBe(204)
    expect((await h.api('GET', `/api/deliveries/${id}`)).status).toBe(404)
    const [{ n }] = await h.db.knex('sending_log').where('delivery_id', id).count('* as n')
    expect(Number(n)).toBe(0)
  })
})
