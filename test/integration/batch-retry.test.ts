import { importProfiles, readyDelivery, receivedFor, startHarness, type Harness } from '../support/harness'

/**
 * The SMTP sink breaks the connection in the middle of a batch: the batch fails after sending part of
 * its messages and Temporal retries it. Final logs are never sent again, pending ones never skipped;
 * the one message whose fate is unknown is in doubt, resent with the same Message-ID (or not).
 */
describe('a batch that fails after sending part of its messages', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const breakOnce = (address: string, how: 'drop-before-store' | 'drop-after-store') => {
    let broken = false
    h.sink.dataRule = (rcpts) => {
      if (broken || !rcpts.includes(address)) return null
      broken = true
      return how
    }
  }

  const inDoubtLogs = async (id: number) =>
    (await h.api('GET', `/api/deliveries/${id}/sending-logs?inDoubt=true`, { as: 'viewer' })).body.items

  test('is retried and yields exactly one message per profile when the lost message never arrived', async () => {
    const ids = await importProfiles(h, 30)
    const id = await readyDelivery(h, ids)
    const victim = (await h.api('GET', `/api/profiles/${ids[12]}`)).body.email
    breakOnce(victim, 'drop-before-store')
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    const received = receivedFor(h, id)
    expect(received.size).toBe(30)
    expect([...received.values()].every((n) => n === 1)).toBe(true)
    expect(finished.progress).toMatchObject({ delivered: 30, inDoubt: 1 })
    expect(await inDoubtLogs(id)).toEqual([
      expect.objectContaining({ email: victim, status: 'sent', inDoubt: true }),
    ])
  })

  test('resends the message in doubt with the same Message-ID when the server kept it (at-least-once)', async () => {
    const ids = await importProfiles(h, 30)
    const id = await readyDelivery(h, ids)
    const victim = (await h.api('GET', `/api/profiles/${ids[3]}`)).body.email
    breakOnce(victim, 'drop-after-store')
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    const received = receivedFor(h, id)
    expect(received.size).toBe(30)
    const duplicates = [...received.entries()].filter(([, n]) => n > 1)
    expect(duplicates).toEqual([[`<herald.d${id}.p${ids[3]}@herald.localhost>`, 2]])
    expect(duplicates.length).toBeLessThanOrEqual(h.config.smtp.poolSize)
    expect(finished.progress).toMatchObject({ delivered: 30, inDoubt: 1 })
  })

  test('leaves the message in doubt unsent and counted when the delivery asks for at-most-once', async () => {
    const ids = await importProfiles(h, 30)
    const id = await readyDelivery(h, ids, { guarantee: 'at_most_once' })
    const victim = (await h.api('GET', `/api/profiles/${ids[20]}`)).body.email
    breakOnce(victim, 'drop-after-store')
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const finished = await h.waitForStatus(id, 'finished')
    const received = receivedFor(h, id)
    expect(received.size).toBe(30)
    expect([...received.values()].every((n) => n === 1)).toBe(true)
    expect(finished.progress).toMatchObject({ delivered: 29, failed: 1, processed: 30, inDoubt: 1 })
    expect(await inDoubtLogs(id)).toEqual([
      expect.objectContaining({ email: victim, status: 'in_doubt', inDoubt: true }),
    ])
  })
})

describe('SMTP replies', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ env: { HERALD_VALIDITY: '8s', HERALD_RETRY_INTERVAL: '1500ms' } })
  })
  afterAll(() => h?.close())

  test('5xx fails hard at once; 4xx is retried until it succeeds or the validity period ends', async () => {
    const ids = await importProfiles(h, 6)
    const emails: string[] = await Promise.all(
      ids.map(async (pid) => (await h.api('GET', `/api/profiles/${pid}`)).body.email),
    )
    const [hard, softThenOk, softForever] = emails
    let softTries = 0
    h.sink.recipientRule = (address) => {
      if (address === hard) return { code: 550, message: '5.1.1 user unknown' }
      if (address === softThenOk && ++softTries <= 2) return { code: 452, message: '4.2.2 mailbox full' }
      if (address === softForever) return { code: 451, message: '4.3.0 try later' }
      return null
    }
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'retry_pending')
    const finished = await h.waitForStatus(id, 'finished', 90_000)
    expect(finished.progress).toMatchObject({ delivered: 4, failed: 2, processed: 6, retrying: 0 })
    const failed = (await h.api('GET', `/api/deliveries/${id}/sending-logs?status=failed`, { as: 'viewer' }))
      .body.items
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: hard, failureType: 'hard', smtpCode: 550, attempts: 1 }),
        expect.objectContaining({ email: softForever, failureType: 'soft', smtpCode: 451 }),
      ]),
    )
    expect(failed.find((l: { email: string }) => l.email === softForever).failureReason).toMatch(
      /validity period expired/,
    )
    const sent = (await h.api('GET', `/api/deliveries/${id}/sending-logs?status=sent`, { as: 'viewer' })).body
      .items
    expect(sent.find((l: { email: string }) => l.email === softThenOk)).toMatchObject({ attempts: 3 })
  })
})
