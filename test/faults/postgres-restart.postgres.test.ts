import { parseMessageId } from '../../domain/message-id'
import { importProfiles, readyDelivery, receivedFor, startHarness, type Harness } from '../support/harness'
import { startOwnPostgres, type OwnPostgres } from './own-postgres'

/**
 * PostgreSQL crashes and comes back in the middle of a send: the delivery finishes, no message is
 * missing, and the duplicates (messages in flight when the database went away) stay within the SMTP
 * pool size, each recorded in doubt.
 */
describe('PostgreSQL crashes and restarts in the middle of a send', () => {
  let postgres: OwnPostgres
  let h: Harness
  const profiles = 5000
  const poolSize = 5
  beforeAll(async () => {
    postgres = await startOwnPostgres()
    h = await startHarness({
      postgresAdminUrl: postgres.adminUrl,
      env: { SMTP_POOL_SIZE: String(poolSize), HERALD_BATCH_SIZE: '250', HERALD_RATE_LIMIT: '600' },
    })
  })
  afterAll(async () => {
    await h?.close()
    postgres?.stop()
  })

  test('nothing is missing; duplicates ≤ pool size, each recorded in doubt', async () => {
    const id = await readyDelivery(h, await importProfiles(h, profiles))
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    await h.sink.waitFor(() => receivedFor(h, id).size >= profiles / 3, 120_000)
    const atCrash = receivedFor(h, id).size
    await postgres.crashAndRestart(3000)

    const finished = await h.waitForStatus(id, 'finished', 240_000)
    const received = receivedFor(h, id)
    const duplicated = [...received.entries()].filter(([, n]) => n > 1)
    const inDoubt = (await h.db
      .knex('sending_log')
      .where({ delivery_id: id, in_doubt: true })
      .select('profile_id')) as {
      profile_id: number
    }[]
    console.log(
      'PostgreSQL crash:',
      JSON.stringify({
        atCrash,
        sent: [...received.values()].reduce((a, b) => a + b, 0),
        distinct: received.size,
        duplicated: duplicated.length,
        missing: profiles - received.size,
        markedInDoubt: inDoubt.length,
      }),
    )
    expect(received.size).toBe(profiles)
    expect(duplicated.length).toBeLessThanOrEqual(poolSize)
    const inDoubtProfiles = new Set(inDoubt.map((r) => Number(r.profile_id)))
    for (const [messageId] of duplicated)
      expect(inDoubtProfiles).toContain(parseMessageId(messageId)!.profileId)
    expect(finished.progress).toMatchObject({ delivered: profiles, processed: profiles })
  })
})
