import {
  importProfiles,
  readyDelivery,
  receivedFor,
  waitUntil,
  startHarness,
  type Harness,
} from '../support/harness'

/**
 * The SMTP relay refuses connections for 30 s in the middle of a send: the delivery says it is
 * retrying, then finishes with every message delivered once (a refused connection means the message
 * certainly did not leave: nothing in doubt, nothing twice).
 */
describe('the SMTP relay refuses connections for 30 s in the middle of a send', () => {
  let h: Harness
  const profiles = 3000
  beforeAll(async () => {
    h = await startHarness({ env: { SMTP_POOL_SIZE: '5', HERALD_BATCH_SIZE: '250' } })
  })
  afterAll(() => h?.close())

  test('the delivery reports that it retries, then every message arrives once', async () => {
    const id = await readyDelivery(h, await importProfiles(h, profiles))
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    await h.sink.waitFor(() => receivedFor(h, id).size >= profiles / 3, 180_000)
    const outage = h.sink.refuseConnectionsFor(30_000)
    const atOutage = receivedFor(h, id).size

    const retrying = await waitUntil('the delivery to show the transport error', async () => {
      const delivery = (await h.api('GET', `/api/deliveries/${id}`, { as: 'viewer' })).body
      return delivery.sendError ? delivery : null
    })
    expect(retrying).toMatchObject({
      status: 'sending',
      sendError: expect.stringMatching(/unreachable|421|ECONNREFUSED/),
    })
    await outage

    const finished = await h.waitForStatus(id, 'finished', 180_000)
    const received = receivedFor(h, id)
    const sent = [...received.values()].reduce((a, b) => a + b, 0)
    console.log(
      `SMTP outage (${h.db.dialect}):`,
      JSON.stringify({
        atOutage,
        sent,
        distinct: received.size,
        duplicated: sent - received.size,
        missing: profiles - received.size,
      }),
    )
    expect(received.size).toBe(profiles)
    expect(sent).toBe(profiles)
    expect(finished.progress).toMatchObject({ delivered: profiles, failed: 0, inDoubt: 0 })
    expect(finished.sendError).toBeNull()
  })
})
