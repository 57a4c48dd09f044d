import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, startDevServer, type DevServer } from '../../runtime/dev-server'
import { parseMessageId } from '../../domain/message-id'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  untilClock,
  startHarness,
  type Harness,
} from '../support/harness'

/**
 * The Temporal dev server restarts (same database file) while one delivery waits for its contact date
 * and another is sending: both finish correctly, the scheduled one at its date.
 */
describe('a Temporal server restart', () => {
  let h: Harness
  let server: DevServer
  let port: number
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-temporal-'))
  const dbFile = path.join(dir, 'temporal.db')
  const profiles = 3000
  beforeAll(async () => {
    port = await freePort()
    server = await startDevServer({ port, dbFile })
    // A rate limit keeps the send going long enough to restart the server in its middle.
    h = await startHarness({
      temporalAddress: server.address,
      env: { HERALD_RATE_LIMIT: '300', HERALD_BATCH_SIZE: '200' },
    })
  })
  afterAll(async () => {
    await h?.close()
    await server?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('a scheduled delivery and a sending one both finish correctly', async () => {
    const scheduledIds = await importProfiles(h, 5)
    const contactDate = new Date(Date.now() + 25_000)
    const scheduled = await readyDelivery(h, scheduledIds, { contactDate: contactDate.toISOString() })
    await h.api('POST', `/api/deliveries/${scheduled}/confirm`, { as: 'start' })
    const sending = await readyDelivery(h, await importProfiles(h, profiles))
    await h.api('POST', `/api/deliveries/${sending}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    await h.sink.waitFor(() => receivedFor(h, sending).size >= 600, 180_000)

    await server.stop()
    // Down for three seconds (the scenario; nothing is asserted about that time): the worker's
    // activities go on sending, and their heartbeats and completions find no server.
    await untilClock(Date.now() + 3000)
    server = await startDevServer({ port, dbFile })

    const finished = await h.waitForStatus(sending, 'finished', 180_000)
    const received = receivedFor(h, sending)
    const duplicated = [...received.entries()].filter(([, n]) => n > 1)
    console.log(
      'Temporal restart:',
      JSON.stringify({
        distinct: received.size,
        duplicated: duplicated.length,
        missing: profiles - received.size,
      }),
    )
    expect(received.size).toBe(profiles)
    expect(duplicated.length).toBeLessThanOrEqual(h.config.smtp.poolSize)
    const inDoubt = new Set(
      (
        (await h.db
          .knex('sending_log')
          .where({ delivery_id: sending, in_doubt: true })
          .select('profile_id')) as { profile_id: number }[]
      ).map((r) => Number(r.profile_id)),
    )
    for (const [messageId] of duplicated) expect(inDoubt).toContain(parseMessageId(messageId)!.profileId)
    expect(finished.progress).toMatchObject({ delivered: profiles, processed: profiles })

    await h.waitForStatus(scheduled, 'finished', 90_000)
    const times = h.sink.messages
      .filter((m) => m.messageId?.startsWith(`<herald.d${scheduled}.`))
      .map((m) => m.receivedAt.getTime())
    expect(times).toHaveLength(5)
    expect(Math.min(...times)).toBeGreaterThanOrEqual(contactDate.getTime())
  })
})
