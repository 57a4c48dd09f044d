import {
  importProfiles,
  deliveryWorkflow,
  nothingInFlight,
  readyDelivery,
  receivedFor,
  startHarness,
  waitUntil,
  type Harness,
} from '../support/harness'

/** A rate limit keeps the send slow enough to act in the middle of it. */
describe('pause, resume and stop', () => {
  let h: Harness
  const batchSize = 20
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_RATE_LIMIT: '25', HERALD_BATCH_SIZE: String(batchSize) } })
  })
  afterAll(() => h?.close())

  const waitForSent = (id: number, count: number) =>
    waitUntil(
      `${count} messages of delivery ${id} at the sink`,
      () => receivedFor(h, id).size >= count,
      60_000,
      20,
    )

  test('pause stops the send within one batch; resume finishes it, every message once', async () => {
    const ids = await importProfiles(h, 80)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 80 } })
    await waitForSent(id, 15)
    const whenAsked = receivedFor(h, id).size
    const paused = await h.api('POST', `/api/deliveries/${id}/pause`, { as: 'start' })
    expect(paused.body.status).toBe('paused')
    const whenPaused = receivedFor(h, id).size
    expect(whenPaused - whenAsked).toBeLessThanOrEqual(batchSize)
    // The pause answered once its batches' cancellation completed: nothing is left that could send.
    expect(await nothingInFlight(h, id)).toBe(true)
    expect(paused.body.progress.delivered).toBe(whenPaused)
    expect(receivedFor(h, id).size).toBe(whenPaused)

    expect((await h.api('POST', `/api/deliveries/${id}/resume`, { as: 'start' })).body.status).toBe('sending')
    const finished = await h.waitForStatus(id, 'finished')
    expect(finished.progress).toMatchObject({ delivered: 80, processed: 80, pending: 0 })
    const received = receivedFor(h, id)
    expect(received.size).toBe(80)
    expect([...received.values()].every((n) => n === 1)).toBe(true)
  })

  test('stop leaves the rest unsent, for good', async () => {
    const ids = await importProfiles(h, 80)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await waitForSent(id, 10)
    const stopped = await h.api('POST', `/api/deliveries/${id}/stop`, { as: 'start' })
    expect(stopped.body.status).toBe('stopped')
    const whenStopped = receivedFor(h, id).size
    expect(await nothingInFlight(h, id)).toBe(true)
    expect(whenStopped).toBeLessThan(80)
    expect(stopped.body.progress).toMatchObject({ delivered: whenStopped, pending: 80 - whenStopped })
    expect((await h.api('POST', `/api/deliveries/${id}/resume`, { as: 'start' })).status).toBe(409)
    // For good: its workflow has ended, so no batch can ever start again.
    await deliveryWorkflow(h, id).result()
    expect(receivedFor(h, id).size).toBe(whenStopped)
  })
})

describe('the global rate limit', () => {
  let h: Harness
  const limit = 60
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_RATE_LIMIT: String(limit), HERALD_BATCH_SIZE: '30' } })
  })
  afterAll(() => h?.close())

  test('holds across deliveries sending at once', async () => {
    const [a, b] = [await importProfiles(h, 90), await importProfiles(h, 90)]
    const ids = [await readyDelivery(h, a), await readyDelivery(h, b)]
    const start = h.sink.messages.length
    await Promise.all(ids.map((id) => h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })))
    await Promise.all(ids.map((id) => h.waitForStatus(id, 'finished')))
    const times = h.sink.messages.slice(start).map((m) => m.receivedAt.getTime())
    expect(times).toHaveLength(180)
    const busiestSecond = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length))
    expect(busiestSecond).toBeLessThanOrEqual(Math.floor(limit * 1.05))
    // That it is a limit and not a trickle is a matter of the slots the limiter reserves (one interval
    // apart, back to back: test/unit/rate-limiter.test.ts), not of how fast a busy machine sends.
  })
})
