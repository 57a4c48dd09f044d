import { startHarness, waitUntil, type Harness } from '../test/support/harness'
import { sampleRss } from './lib'

export interface ImportResult {
  database: string
  rows: number
  /** POST of the file → every row applied (202, then the workflow's chunks) */
  importMs: number
  rowsPerSecond: number
  /** peak resident memory of the process holding the API and the worker, while this import ran */
  peakRssMb: number
}

/** A CSV file of `rows` profiles, made as it is read: the bench never holds the file either. */
function csvFile(rows: number, prefix: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let next = 0
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode('externalId,email,firstName,lastName,timeZone,subscribed,plan\n'))
    },
    pull(controller) {
      if (next >= rows) return controller.close()
      let text = ''
      for (const end = Math.min(rows, next + 2000); next < end; next++)
        text += `${prefix}-${next},${prefix}-${next}@example.com,First${next},Last${next},Europe/Paris,true,pro\n`
      controller.enqueue(encoder.encode(text))
    },
  })
}

async function timedImport(h: Harness, rows: number, prefix: string): Promise<ImportResult> {
  const rss = sampleRss()
  const started = performance.now()
  const res = await h.app.request('/api/profiles/import', {
    method: 'POST',
    headers: { authorization: `Bearer ${h.tokens.creator}`, 'content-type': 'text/csv' },
    body: csvFile(rows, prefix),
    duplex: 'half',
  } as RequestInit)
  const { id } = (await res.json()) as { id: number }
  if (res.status !== 202 && res.status !== 200) throw new Error(`import answered ${res.status}`)
  const done = await waitUntil(
    `import ${id} to finish`,
    async () => {
      const read = await h.api('GET', `/api/imports/${id}`, { as: 'viewer' })
      return read.body.status === 'finished' && read.body
    },
    3_600_000,
    200,
  )
  const importMs = Math.round(performance.now() - started)
  if (done.created !== rows) throw new Error(`created ${done.created} of ${rows}`)
  return {
    database: h.db.dialect,
    rows,
    importMs,
    rowsPerSecond: Math.round(rows / (importMs / 1000)),
    peakRssMb: Math.round(rss.stop() / 2 ** 20),
  }
}

/**
 * P8: a CSV import of `rows` profiles on PostgreSQL (streamed, staged, applied by the import workflow),
 * then one of `largeRows` in the same process: the API and the worker's memory must not grow with the file.
 */
export async function importTiming(rows: number, largeRows: number): Promise<ImportResult[]> {
  process.env.HERALD_TEST_DB = 'postgres'
  const h = await startHarness()
  try {
    const small = await timedImport(h, rows, 'p8a')
    const large = await timedImport(h, largeRows, 'p8b')
    return [small, large]
  } finally {
    await h.close()
  }
}
