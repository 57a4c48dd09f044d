import { importProfiles, readyDelivery, sleep, startHarness } from '../test/support/harness'

export interface LatencyResult {
  database: string
  /** confirm sent → first message at the sink, per delivery, ms */
  confirmToFirstMs: number[]
  confirmToFirstMedianMs: number
  /** contact date → first message at the sink, per scheduled delivery, ms */
  contactDateToFirstMs: number[]
  contactDateToFirstMaxMs: number
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** P5: how soon the first message leaves after a confirm, and after a contact date. */
export async function sendLatency(database: 'sqlite' | 'postgres', runs = 9): Promise<LatencyResult> {
  process.env.HERALD_TEST_DB = database
  const h = await startHarness()
  try {
    const first = (id: number) =>
      h.sink
        .waitFor((messages) => messages.some((m) => m.messageId?.startsWith(`<herald.d${id}.`)), 60_000)
        .then(() =>
          h.sink.messages.find((m) => m.messageId?.startsWith(`<herald.d${id}.`))!.receivedAt.getTime(),
        )

    const confirmToFirstMs: number[] = []
    for (let i = 0; i < runs; i++) {
      const id = await readyDelivery(h, await importProfiles(h, 10))
      const asked = Date.now()
      await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 10 } })
      confirmToFirstMs.push((await first(id)) - asked)
      await h.waitForStatus(id, 'finished')
    }

    const contactDateToFirstMs: number[] = []
    for (let i = 0; i < Math.ceil(runs / 2); i++) {
      const contactDate = Date.now() + 4000
      const id = await readyDelivery(h, await importProfiles(h, 10), {
        contactDate: new Date(contactDate).toISOString(),
      })
      await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 10 } })
      contactDateToFirstMs.push((await first(id)) - contactDate)
      await h.waitForStatus(id, 'finished')
      await sleep(200)
    }
    return {
      database,
      confirmToFirstMs,
      confirmToFirstMedianMs: median(confirmToFirstMs),
      contactDateToFirstMs,
      contactDateToFirstMaxMs: Math.max(...contactDateToFirstMs),
    }
  } finally {
    await h.close()
  }
}
