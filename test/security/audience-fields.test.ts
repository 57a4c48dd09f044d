import { deliveryWorkflow, importProfiles, startHarness, type Harness } from '../support/harness'
import { createRecurring, stopAllRecurring, waitForRuns } from '../support/recurring'

/**
 * Item 9 of issue 16: an audience field is a profile column or `attributes.<key>`, checked as an own
 * property — `constructor`, `toString`, `__proto__` are names every object inherits, not columns —
 * and a preparation that fails on its input fails for good, at once, with the reason: the delivery
 * ends in "preparation failed" rather than "preparing" forever.
 */
describe('audience fields', () => {
  let h: Harness
  let profileIds: number[]
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_MIN_RECURRENCE: '1s' } })
    profileIds = await importProfiles(h, 2)
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await h?.close()
  })

  const inherited = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__']
  const audienceOf = (field: string) => ({ filter: [{ field, op: 'eq', value: 'x' }] })
  const counts = async () =>
    Promise.all(
      ['delivery', 'recurring_delivery'].map(async (t) => Number((await h.db.knex(t).count('* as n'))[0].n)),
    )

  test('names every object inherits are no audience field: 400 naming the field on create, edit and recurring create', async () => {
    const before = await counts()
    const draft = await h.api('POST', '/api/deliveries', {
      body: { label: 'A', subject: 'S', text: 'T', audience: { profileIds } },
    })
    const seen = []
    for (const field of inherited) {
      const created = await h.api('POST', '/api/deliveries', {
        body: { label: 'A', subject: 'S', text: 'T', audience: audienceOf(field) },
      })
      const edited = await h.api('PATCH', `/api/deliveries/${draft.body.id}`, {
        body: { audience: audienceOf(field) },
      })
      const recurring = await h.api('POST', '/api/recurring-deliveries', {
        body: {
          label: 'R',
          subject: 'S',
          text: 'T',
          audience: audienceOf(field),
          recurrence: { cron: '0 9 * * *', timeZone: 'UTC' },
          confirmBeforeEachSend: true,
        },
      })
      seen.push({
        field,
        replies: [created, edited, recurring].map((r) => `${r.status} ${r.body?.error?.field}`),
      })
    }
    expect(seen).toEqual(
      inherited.map((field) => ({ field, replies: Array(3).fill('400 audience.filter.0.field') })),
    )
    expect(await counts()).toEqual([before[0] + 1, before[1]])
    expect((await h.api('GET', `/api/deliveries/${draft.body.id}`)).body.audience).toEqual({ profileIds })
  })

  test('a delivery whose stored audience names an inherited field (saved before this check) fails its preparation at once, with the reason', async () => {
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Stored', subject: 'S', text: 'T', audience: { profileIds } },
    })
    const id = created.body.id
    await h.db
      .knex('delivery')
      .where('id', id)
      .update({ audience: JSON.stringify(audienceOf('constructor')) })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    const failed = await h.waitForStatus(id, 'preparation_failed', 30_000)
    expect(failed.preparationReport.messages).toEqual([
      {
        severity: 'critical',
        message: expect.stringContaining("audience.filter.0.field: unknown field 'constructor'"),
      },
    ])
    expect(failed.messagesToDeliver).toBe(0)
    // One attempt: the failure is not retryable.
    const history = await deliveryWorkflow(h, id).fetchHistory()
    const failures = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes)
    expect(failures.map((e) => e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo)).toEqual(
      [expect.objectContaining({ type: 'PreparationInputInvalid', nonRetryable: true })],
    )
    expect(Number((await h.db.knex('sending_log').where('delivery_id', id).count('* as n'))[0].n)).toBe(0)

    // Fixed, it prepares again.
    const fixed = await h.api('PATCH', `/api/deliveries/${id}`, { body: { audience: { profileIds } } })
    expect(fixed.status).toBe(200)
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    expect((await h.waitForStatus(id, 'awaiting_approval')).messagesToDeliver).toBe(2)
  })

  test('a recurring delivery whose stored audience names an inherited field: its run fails with the reason', async () => {
    const id = await createRecurring(h, {
      audience: { profileIds },
      confirmBeforeEachSend: true,
      recurrence: { every: '1h' },
    })
    await h.db
      .knex('recurring_delivery')
      .where('id', id)
      .update({ audience: JSON.stringify(audienceOf('toString')) })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (runs) => runs.length === 1 && runs[0].status === 'failed')
    expect(run.reason).toContain("audience.filter.0.field: unknown field 'toString'")
  })
})
