import { startHarness, someProfiles, type Harness } from '../support/harness'

describe('a delivery from draft to finished', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  test('create, prepare, approve and confirm send one personalised message per profile', async () => {
    const imported = await h.api('POST', '/api/profiles', { body: { profiles: someProfiles(45) } })
    expect(imported.status).toBe(200)
    expect(imported.body.ids).toHaveLength(45)

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
    const id = created.body.id

    const prepared = await h.api('POST', `/api/deliveries/${id}/prepare`)
    expect(prepared.status).toBe(200)
    const awaiting = await h.waitForStatus(id, 'awaiting_approval')
    expect(awaiting.messagesToDeliver).toBe(45)

    expect((await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })).status).toBe(200)
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 45 } })
    expect(confirmed.status).toBe(200)

    const finished = await h.waitForStatus(id, 'finished')
    expect(finished.progress).toMatchObject({ toDeliver: 45, processed: 45, delivered: 45, failed: 0, inDoubt: 0, percent: 100 })
    expect(h.sink.messages).toHaveLength(45)
    expect(h.sink.countByMessageId().size).toBe(45)
    const first = await h.sink.parsed(h.sink.messages.find((m) => m.to.includes('user7@example.com'))!.seq)
    expect(first.subject).toBe('Hello First7')
    expect(first.text?.trim()).toBe('Hi First7')
    expect(first.html).toContain('Hi First7 Last7')
  })
})
