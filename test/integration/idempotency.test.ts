import { deliveryWorkflowId } from '../../workflows/messages'
import { importProfiles, startHarness, type Harness } from '../support/harness'

/**
 * A client that got no answer retries a command with the same Idempotency-Key (to any API replica):
 * Temporal applies the update id derived from it once (test/cluster covers the replica killed mid-request).
 */
describe('commands retried with an Idempotency-Key', () => {
  let h: Harness
  let profileIds: number[]
  beforeAll(async () => {
    h = await startHarness()
    profileIds = await importProfiles(h, 1)
  })
  afterAll(() => h?.close())

  async function draft(): Promise<number> {
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Retried', subject: 'Hi', text: 'Hi', audience: { profileIds } },
    })
    expect(created.status).toBe(201)
    return created.body.id as number
  }

  function schedule(id: number, contactDate: string, headers: Record<string, string> = {}) {
    return h.app.request(`/api/deliveries/${id}/schedule`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.tokens.creator}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify({ contactDate }),
    })
  }

  /** The update ids of the schedule commands the workflow accepted, in order. */
  async function acceptedSchedules(id: number): Promise<string[]> {
    const history = await h.client.workflow
      .getHandle(deliveryWorkflowId(id, h.config.temporal.workflowIdPrefix))
      .fetchHistory()
    return (history.events ?? [])
      .map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest)
      .filter((request) => request?.input?.name === 'schedule')
      .map((request) => request!.meta!.updateId!)
  }

  test('sent twice with the same key, a command is applied once and the retry answers like the first', async () => {
    const id = await draft()
    const first = await schedule(id, '2031-01-01T09:00:00Z', { 'Idempotency-Key': 'retry-1' })
    expect(first.status).toBe(200)
    // A retry carries the request again; even a different body gets the first outcome, not a second command.
    const retry = await schedule(id, '2032-06-01T09:00:00Z', { 'Idempotency-Key': 'retry-1' })
    expect(retry.status).toBe(200)
    expect(await acceptedSchedules(id)).toEqual(['schedule:creator:retry-1'])
    const delivery = (await h.api('GET', `/api/deliveries/${id}`)).body
    expect(delivery.contactDate).toBe('2031-01-01T09:00:00.000Z')
  })

  test('without the header, each request is a command of its own', async () => {
    const id = await draft()
    expect((await schedule(id, '2031-01-01T09:00:00Z')).status).toBe(200)
    expect((await schedule(id, '2031-01-01T09:00:00Z')).status).toBe(200)
    expect(await acceptedSchedules(id)).toHaveLength(2)
  })

  test('a malformed Idempotency-Key is refused with 400 naming the header, and changes nothing', async () => {
    const id = await draft()
    const res = await schedule(id, '2031-01-01T09:00:00Z', { 'Idempotency-Key': 'two words' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ field: 'Idempotency-Key' })
    expect(await acceptedSchedules(id)).toEqual([])
  })
})
