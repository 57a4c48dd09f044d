import { parseMessageId } from '../../domain/message-id'
import { importProfiles, readyDelivery, receivedFor, startHarness, type Harness } from '../support/harness'
import { startWorkerProcess, workerEnv, type WorkerProcess } from './processes'

/**
 * kill -9 of the worker process in the middle of a 10,000-profile send, then a new worker: nothing is
 * missing, and the only duplicates are messages that were in flight (at most the SMTP pool size), each
 * recorded as an in-doubt resend in its sending log.
 */
const profiles = 10_000
const poolSize = 5

describe.each([
  ['early', 0.02],
  ['in the middle', 0.5],
  ['in the last batch', 0.97],
])('kill -9 of the worker %s of a 10,000-profile send', (_when, fraction) => {
  let h: Harness
  let worker: WorkerProcess
  beforeAll(async () => {
    h = await startHarness({
      inProcessWorker: false,
      env: { SMTP_POOL_SIZE: String(poolSize), HERALD_BATCH_SIZE: '500' },
    })
    worker = startWorkerProcess(workerEnv(h))
  })
  afterAll(async () => {
    await worker?.kill()
    await h?.close()
  })

  test('loses no message; duplicates ≤ pool size, each recorded in doubt; every sending log final', async () => {
    const ids = await importProfiles(h, profiles)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: profiles },
    })
    // Generous deadlines: a busy machine sends 10,000 messages slowly; only the outcome is asserted.
    await h.sink.waitFor(() => receivedFor(h, id).size >= profiles * fraction, 360_000)
    await worker.kill('SIGKILL')
    const atKill = receivedFor(h, id).size
    worker = startWorkerProcess(workerEnv(h))

    const finished = await h.waitForStatus(id, 'finished', 240_000)
    const received = receivedFor(h, id)
    const sent = [...received.values()].reduce((a, b) => a + b, 0)
    const duplicated = [...received.entries()].filter(([, n]) => n > 1)
    const inDoubtRows: { profile_id: number; status: string }[] = await h.db
      .knex('sending_log')
      .where({ delivery_id: id, in_doubt: true })
      .select('profile_id', 'status')
    const figures = {
      killedAt: atKill,
      sent,
      distinct: received.size,
      duplicated: duplicated.length,
      missing: profiles - received.size,
      markedInDoubt: inDoubtRows.length,
    }
    console.log(`worker killed ${_when} (${h.db.dialect}):`, JSON.stringify(figures))

    expect(received.size).toBe(profiles)
    expect(duplicated.length).toBeLessThanOrEqual(poolSize)
    const inDoubtProfiles = new Set(inDoubtRows.map((r) => Number(r.profile_id)))
    for (const [messageId] of duplicated)
      expect(inDoubtProfiles).toContain(parseMessageId(messageId)!.profileId)
    // A lane holds at most two unrecorded rows, only one of which can have reached the server.
    expect(inDoubtRows.length).toBeLessThanOrEqual(2 * poolSize)
    expect(finished.progress).toMatchObject({
      toDeliver: profiles,
      processed: profiles,
      delivered: profiles,
      inDoubt: inDoubtRows.length,
    })
    const unfinished = await h.db
      .knex('sending_log')
      .where('delivery_id', id)
      .whereNot('status', 'sent')
      .count('* as n')
    expect(Number(unfinished[0].n)).toBe(0)
  }, 900_000)
})
