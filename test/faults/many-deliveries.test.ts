import { importProfiles, readyDelivery, startHarness, type Harness } from '../support/harness'

/**
 * 200 small deliveries confirmed at once under a global rate limit: all finish, and the rate measured
 * at the receiving server never exceeds the limit by more than 5 % in any one second.
 */
describe('200 deliveries at once under a global rate limit', () => {
  let h: Harness
  const limit = 100
  const deliveries = 200
  const perDelivery = 5
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_RATE_LIMIT: String(limit), SMTP_POOL_SIZE: '5' } })
  })
  afterAll(() => h?.close())

  test('all finish and the rate never exceeds the limit by more than 5 %', async () => {
    const ids: number[] = []
    for (let i = 0; i < deliveries; i += 20) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(20, deliveries - i) }, async () =>
            readyDelivery(h, await importProfiles(h, perDelivery)),
          ),
        )),
      )
    }
    const start = h.sink.messages.length
    await Promise.all(
      ids.map((id) =>
        h.api('POST', `/api/deliveries/${id}/confirm`, {
          as: 'start',
          body: { expectedMessages: perDelivery },
        }),
      ),
    )
    for (const id of ids) await h.waitForStatus(id, 'finished', 120_000)

    const times = h.sink.messages
      .slice(start)
      .map((m) => m.receivedAt.getTime())
      .sort((a, b) => a - b)
    expect(times).toHaveLength(deliveries * perDelivery)
    let busiest = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j] < times[i] - 999) j++
      busiest = Math.max(busiest, i - j + 1)
    }
    const overall = (times.length / (times[times.length - 1] - times[0])) * 1000
    console.log(
      `200 deliveries: ${times.length} messages, busiest second ${busiest}, overall ${overall.toFixed(1)}/s (limit ${limit}/s)`,
    )
    expect(busiest).toBeLessThanOrEqual(limit * 1.05)
  })
})
