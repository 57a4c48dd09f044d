import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'

/** Every error code of the API: the reply names the field, the role or the state, and nothing changes. */
describe('API errors', () => {
  let h: Harness
  let profileIds: number[]
  beforeAll(async () => {
    h = await startHarness()
    profileIds = await importProfiles(h, 2)
  })
  afterAll(() => h?.close())

  const deliveryCount = async () => Number((await h.db.knex('delivery').count('* as n'))[0].n)
  const valid = () => ({ label: 'L', subject: 'S', text: 'T', audience: { profileIds } })

  test('without a token the API answers 401; an unknown or revoked token too', async () => {
    expect((await h.api('GET', '/api/deliveries', { token: null })).status).toBe(401)
    expect((await h.api('GET', '/api/deliveries', { token: 'hrld_nope' })).status).toBe(401)
    const user = await h.api('POST', '/api/users', { as: 'admin', body: { name: 'temp', roles: ['viewer'] } })
    const issued = await h.api('POST', `/api/users/${user.body.id}/tokens`, {
      as: 'admin',
      body: { label: 'x' },
    })
    expect((await h.api('GET', '/api/me', { token: issued.body.token })).body).toMatchObject({
      name: 'temp',
      roles: ['viewer'],
    })
    expect((await h.api('DELETE', `/api/tokens/${issued.body.id}`, { as: 'admin' })).status).toBe(204)
    const revoked = await h.api('GET', '/api/me', { token: issued.body.token })
    expect(revoked.status).toBe(401)
    expect(revoked.body.error.message).toMatch(/revoked/)
  })

  test('a bad body gets 400 naming the field, and creates nothing', async () => {
    const before = await deliveryCount()
    const cases: [unknown, string][] = [
      [{ ...valid(), subject: undefined }, 'subject'],
      [{ ...valid(), subject: 'Hi\r\nBcc: victim@example.com' }, 'subject'],
      [{ ...valid(), label: 42 }, 'label'],
      [{ ...valid(), audience: {} }, 'audience'],
      [
        { ...valid(), audience: { filter: [{ field: 'attributes.a b', op: 'eq', value: 1 }] } },
        'audience.filter.0.field',
      ],
      [{ ...valid(), audience: { filter: [{ field: 'email', op: 'eq' }] } }, 'audience.filter.0.value'],
      [{ ...valid(), timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ ...valid(), contactDate: 'next tuesday' }, 'contactDate'],
      [{ ...valid(), fromEmail: 'nobody' }, 'fromEmail'],
      [{ ...valid(), colour: 'red' }, 'colour'],
    ]
    for (const [body, field] of cases) {
      const res = await h.api('POST', '/api/deliveries', { body })
      expect({ field, status: res.status }).toEqual({ field, status: 400 })
      expect(res.body.error.field).toBe(field)
      expect(res.body.error.message).toContain(field)
    }
    expect(await deliveryCount()).toBe(before)
  })

  test('an empty body with a JSON content type is an empty object, not malformed JSON', async () => {
    const created = await h.api('POST', '/api/deliveries', { body: valid() })
    const res = await h.app.request(`/api/deliveries/${created.body.id}/prepare`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.tokens.creator}`,
        'content-type': 'application/json',
        'content-length': '0',
      },
    })
    expect(res.status).toBe(200)
  })

  test('malformed JSON gets 400 naming the body', async () => {
    const res = await h.api('POST', '/api/deliveries', { raw: '{"label": ' })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'malformed_json', field: 'body' })
  })

  test('an invalid email in an import gets 400 naming the profile, and imports nothing', async () => {
    const before = Number((await h.db.knex('profile').count('* as n'))[0].n)
    const res = await h.api('POST', '/api/profiles', {
      body: { profiles: [{ email: 'a@example.com' }, { email: 'not an email' }] },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.field).toBe('profiles.1.email')
    const injected = await h.api('POST', '/api/profiles', {
      body: { profiles: [{ email: 'b@example.com', firstName: 'Eve\nBcc: x@y.z' }] },
    })
    expect(injected.body.error.field).toBe('profiles.0.firstName')
    expect(Number((await h.db.knex('profile').count('* as n'))[0].n)).toBe(before)
  })

  test('an unknown delivery gets 404', async () => {
    expect((await h.api('GET', '/api/deliveries/999999')).status).toBe(404)
    expect((await h.api('POST', '/api/deliveries/999999/prepare')).status).toBe(404)
    expect((await h.api('GET', '/api/deliveries/999999/sending-logs')).status).toBe(404)
    expect((await h.api('GET', '/api/deliveries/abc')).status).toBe(400)
  })

  test('confirm without the start role is refused with 403 naming "Start deliveries", and nothing is sent', async () => {
    const id = await readyDelivery(h, profileIds)
    for (const role of ['prepare', 'approve', 'viewer', 'workflow', 'admin'] as const) {
      const res = await h.api('POST', `/api/deliveries/${id}/confirm`, {
        as: role,
        body: { expectedMessages: 2 },
      })
      expect(res.status).toBe(403)
      expect(res.body.error.message).toContain('"Start deliveries" role')
    }
    const approve = await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'prepare' })
    expect(approve.status).toBe(403)
    expect(approve.body.error.message).toContain('"Approve deliveries" role')
    expect((await h.api('POST', '/api/deliveries', { as: 'viewer', body: valid() })).status).toBe(403)
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('ready')
    expect(h.sink.messages).toHaveLength(0)
  })

  test('a confirm stating a different message count is refused with 409 and nothing is sent', async () => {
    const id = await readyDelivery(h, profileIds)
    const res = await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 3 },
    })
    expect(res.status).toBe(409)
    expect(res.body.error).toMatchObject({ code: 'count_mismatch' })
    expect(res.body.error.message).toContain('prepared for 2')
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('ready')
    expect(h.sink.messages).toHaveLength(0)
  })

  test('illegal transitions get 409 and leave the delivery as it was', async () => {
    const created = await h.api('POST', '/api/deliveries', { body: valid() })
    const id = created.body.id
    for (const command of ['approve', 'confirm', 'pause', 'resume', 'stop']) {
      const as = command === 'approve' ? 'approve' : 'start'
      const res = await h.api('POST', `/api/deliveries/${id}/${command}`, { as, body: {} })
      expect({ command, status: res.status }).toEqual({ command, status: 409 })
      expect(res.body.error.message).toContain('draft')
    }
    expect(
      (await h.api('POST', `/api/deliveries/${id}/reject`, { as: 'approve', body: { reason: 'no' } })).status,
    ).toBe(409)
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('draft')
  })

  test('approval by the delivery’s own creator is refused when approvers must differ', async () => {
    const strict = await startHarness({ env: { HERALD_APPROVER_MUST_DIFFER: 'true' } })
    try {
      const user = await strict.api('POST', '/api/users', {
        as: 'admin',
        body: { name: 'both', roles: ['prepare', 'approve'] },
      })
      const token = (await strict.api('POST', `/api/users/${user.body.id}/tokens`, { as: 'admin', body: {} }))
        .body.token
      const ids = await importProfiles(strict, 1)
      const created = await strict.api('POST', '/api/deliveries', {
        token,
        body: { label: 'L', subject: 'S', text: 'T', audience: { profileIds: ids } },
      })
      await strict.api('POST', `/api/deliveries/${created.body.id}/prepare`, { token })
      await strict.waitForStatus(created.body.id, 'awaiting_approval')
      const own = await strict.api('POST', `/api/deliveries/${created.body.id}/approve`, { token })
      expect(own.status).toBe(403)
      expect(own.body.error.message).toMatch(/creator/)
      expect(
        (await strict.api('POST', `/api/deliveries/${created.body.id}/approve`, { as: 'approve' })).status,
      ).toBe(200)
    } finally {
      await strict.close()
    }
  })
})
