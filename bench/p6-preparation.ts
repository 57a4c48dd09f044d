import { someProfiles, startHarness } from '../test/support/harness'

export interface PreparationResult {
  database: string
  profiles: number
  /** prepare asked → preparation done (awaiting approval), through the workflow and its activity */
  prepareMs: number
}

/** P6: preparing a delivery for 100,000 profiles, set-based, on PostgreSQL. */
export async function preparationTime(
  profiles: number,
  database: 'sqlite' | 'postgres',
): Promise<PreparationResult> {
  process.env.HERALD_TEST_DB = database
  const h = await startHarness()
  try {
    for (let i = 0; i < profiles; i += 10_000) {
      const chunk = someProfiles(Math.min(10_000, profiles - i)).map((p, j) => ({
        ...p,
        externalId: `prep-${i + j}`,
        email: `prep-${i + j}@example.com`,
      }))
      const res = await h.api('POST', '/api/profiles', { body: { profiles: chunk } })
      if (res.status !== 200) throw new Error(JSON.stringify(res.body))
    }
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Bench', subject: 'Hello {{firstName}}', text: 'Hi', audience: { all: true } },
    })
    const started = performance.now()
    await h.api('POST', `/api/deliveries/${created.body.id}/prepare`)
    const prepared = await h.waitForStatus(created.body.id, 'awaiting_approval', 600_000)
    if (prepared.messagesToDeliver !== profiles) throw new Error(`prepared ${prepared.messagesToDeliver}`)
    return { database, profiles, prepareMs: Math.round(performance.now() - started) }
  } finally {
    await h.close()
  }
}
