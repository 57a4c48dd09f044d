import { importProfiles, receivedFor, startHarness, type Harness } from '../support/harness'
import { dashboardClient } from '../support/dashboard-client'

/** Proofs: the message as target profiles get it, to proof addresses, before approval. */
describe('proofs', () => {
  let h: Harness
  beforeAll(async () => {
    // The installation requires proofs; one delivery below opts out.
    h = await startHarness({ env: { HERALD_REQUIRE_PROOF: 'true' } })
  })
  afterAll(() => h?.close())

  const prepared = async (profileIds: number[], extra: Record<string, unknown> = {}) => {
    const created = await h.api('POST', '/api/deliveries', {
      as: 'prepare',
      body: {
        label: 'Proofed',
        subject: 'Hello {{firstName}}',
        text: 'Hi {{firstName}}',
        audience: { profileIds },
        ...extra,
      },
    })
    expect(created.status).toBe(201)
    const id = created.body.id as number
    await h.api('POST', `/api/deliveries/${id}/prepare`, { as: 'prepare' })
    await h.waitForStatus(id, 'awaiting_approval')
    return id
  }
  const proof = (id: number, body: unknown, as: 'prepare' | 'approve' | 'viewer' = 'prepare') =>
    h.api('POST', `/api/deliveries/${id}/proofs`, { as, body })
  const approve = (id: number) => h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
  const firstNameOf = async (profileId: number): Promise<string> =>
    (await h.api('GET', `/api/profiles/${profileId}`)).body.firstName
  const received = async (messageId: string) => {
    const message = h.sink.messages.find((m) => m.messageId === messageId)
    if (!message) throw new Error(`${messageId} not received`)
    return { to: message.to, subject: (await h.sink.parsed(message.seq)).subject }
  }

  test('a proof goes to the proof addresses as the first target profile, numbered, logged, outside the target', async () => {
    const ids = await importProfiles(h, 3)
    const id = await prepared(ids)
    const sent = await proof(id, { emails: ['ada@proof.test', 'bob@proof.test'] })
    expect(sent.status).toBe(201)
    expect(sent.body).toMatchObject({ proofNo: 1, sentBy: 'prepare-user' })
    expect(sent.body.messages).toHaveLength(2)
    const first = await firstNameOf(ids[0])
    for (const [i, message] of sent.body.messages.entries()) {
      expect(message.profileId).toBe(ids[0])
      expect(await received(message.messageId)).toEqual({
        to: [['ada@proof.test', 'bob@proof.test'][i]],
        subject: `[Proof 1] Hello ${first}`,
      })
    }

    const second = await proof(id, { emails: ['ada@proof.test'], asProfiles: [ids[2]] })
    expect(second.body.proofNo).toBe(2)
    expect((await received(second.body.messages[0].messageId)).subject).toBe(
      `[Proof 2] Hello ${await firstNameOf(ids[2])}`,
    )
    const listed = (await h.api('GET', `/api/deliveries/${id}/proofs`, { as: 'viewer' })).body
    expect(listed.requireProof).toBe(true)
    expect(listed.items.map((p: { proofNo: number }) => p.proofNo)).toEqual([2, 1])
    expect(listed.items[1].messages.map((m: { email: string }) => m.email)).toEqual([
      'ada@proof.test',
      'bob@proof.test',
    ])

    // Never in the target nor the KPIs, and nothing of the delivery's own was sent.
    const logs = (await h.api('GET', `/api/deliveries/${id}/sending-logs`, { as: 'viewer' })).body
    expect(logs.items.map((l: { status: string }) => l.status)).toEqual(['pending', 'pending', 'pending'])
    const delivery = (await h.api('GET', `/api/deliveries/${id}`, { as: 'viewer' })).body
    expect(delivery).toMatchObject({ status: 'awaiting_approval', messagesToDeliver: 3 })
    expect(delivery.kpis).toMatchObject({ processed: 0, delivered: 0 })
    expect(receivedFor(h, id).size).toBe(0)
  })

  test('bad proofs are refused naming the field; editors only; only once prepared', async () => {
    const ids = await importProfiles(h, 2)
    const [outsider] = await importProfiles(h, 1)
    const id = await prepared(ids)
    const before = h.sink.messages.length
    const notInTarget = await proof(id, { emails: ['ada@proof.test'], asProfiles: [ids[1], outsider] })
    expect(notInTarget.status).toBe(400)
    expect(notInTarget.body.error.field).toBe('asProfiles.1')
    const badEmail = await proof(id, { emails: ['ada@proof.test', 'not an address'] })
    expect(badEmail.status).toBe(400)
    expect(badEmail.body.error.field).toBe('emails.1')
    expect((await proof(id, { emails: [] })).body.error.field).toBe('emails')
    expect((await proof(id, { emails: ['ada@proof.test'] }, 'approve')).status).toBe(403)
    expect((await proof(id, { emails: ['ada@proof.test'] }, 'viewer')).status).toBe(403)

    const draft = await h.api('POST', '/api/deliveries', {
      as: 'prepare',
      body: { label: 'Draft', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    expect((await proof(draft.body.id, { emails: ['ada@proof.test'] })).status).toBe(409)
    expect(h.sink.messages.length).toBe(before)
    expect((await h.api('GET', `/api/deliveries/${id}/proofs`, { as: 'viewer' })).body.items).toEqual([])
  })

  test('approval waits for a proof sent after the last content change; proofs never count', async () => {
    const ids = await importProfiles(h, 2)
    const id = await prepared(ids)
    const refused = await approve(id)
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatchObject({ code: 'proof_required' })
    expect(refused.body.error.message).toContain('HERALD_REQUIRE_PROOF')

    expect((await proof(id, { emails: ['ada@proof.test'] })).status).toBe(201)
    const edited = await h.api('PATCH', `/api/deliveries/${id}`, {
      as: 'prepare',
      body: { subject: 'Hi again' },
    })
    expect(edited.status).toBe(200)
    await h.api('POST', `/api/deliveries/${id}/prepare`, { as: 'prepare' })
    await h.waitForStatus(id, 'awaiting_approval')
    expect((await approve(id)).status).toBe(409)

    const after = await proof(id, { emails: ['ada@proof.test'] })
    expect((await received(after.body.messages[0].messageId)).subject).toBe('[Proof 2] Hi again')
    expect((await approve(id)).status).toBe(200)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    expect(finished.kpis).toMatchObject({ processed: 2, delivered: 2 })
    expect(receivedFor(h, id).size).toBe(2)
  })

  test('a delivery may opt out of the installation’s proof requirement', async () => {
    const ids = await importProfiles(h, 1)
    const id = await prepared(ids, { requireProof: false })
    expect((await h.api('GET', `/api/deliveries/${id}`, { as: 'viewer' })).body.requireProof).toBe(false)
    expect((await approve(id)).status).toBe(200)
  })

  test('the dashboard: an editor sends a proof from the delivery page and sees it listed; an approver cannot', async () => {
    const ids = await importProfiles(h, 2)
    const id = await prepared(ids)
    const approver = dashboardClient(h)
    await approver.logIn(h.tokens.approve)
    const seen = await approver.get(`/deliveries/${id}`)
    expect(seen.text).toContain('Approval waits for a proof of the current content.')
    expect(seen.text).not.toContain('Send proof')

    const editor = dashboardClient(h)
    await editor.logIn(h.tokens.prepare)
    const csrf = await editor.csrfOf(`/deliveries/${id}`)
    const bad = await editor.post(`/deliveries/${id}/proofs`, { _csrf: csrf, emails: 'nobody' })
    expect(bad).toMatchObject({ status: 303, location: `/deliveries/${id}` })
    expect((await editor.get(`/deliveries/${id}`)).text).toContain('emails.0: not a valid email address')

    const sent = await editor.post(`/deliveries/${id}/proofs`, {
      _csrf: csrf,
      emails: 'ada@proof.test, bob@proof.test',
      asProfiles: String(ids[1]),
    })
    expect(sent).toMatchObject({ status: 303, location: `/deliveries/${id}` })
    const page = (await editor.get(`/deliveries/${id}`)).text
    expect(page).toContain('Proof 1 sent (2 messages).')
    expect(page).toContain('A proof of the current content was sent')
    const rows = page.split('data-table="proofs"')[1]
    expect(rows).toContain('bob@proof.test')
    expect(rows).toContain(`&lt;herald.proof.d${id}.n1.2.1.p${ids[1]}@herald.localhost&gt;`)
  })
})
