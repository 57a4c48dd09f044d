import { startHarness, waitUntil, type Harness } from '../test/support/harness'
import v8 from 'node:v8'
import vm from 'node:vm'
import { startWorkerProcess, workerEnv } from '../test/faults/processes'
import { sampleRss } from './lib'

export interface ImportResult {
  database: string
  rows: number
  /** POST of the file → every row applied (202, then the workflow's chunks) */
  importMs: number
  rowsPerSecond: number
  /** peak resident memory of the worker (a process of its own, with its production heap cap) */
  workerPeakRssMb: number
  /** peak live V8 heap of the API's process (which also makes the file), after a collection every second */
  apiPeakHeapMb: number
}

v8.setFlagsFromString('--expose-gc')
const collectGarbage = vm.runInNewContext('gc') as () => void

/**
 * Peak of the V8 heap this process holds live, after a full collection every second (its RSS and its heap
 * before collection count garbage V8 has not collected yet, which grows with the work done, not the data held).
 */
function sampleHeap(): { stop(): number } {
  let peak = 0
  const read = () => {
    collectGarbage()
    return (peak = Math.max(peak, v8.getHeapStatistics().used_heap_size))
  }
  const timer = setInterval(read, 1000)
  return {
    stop() {
      clearInterval(timer)
      return read()
    },
  }
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

async function timedImport(
  h: Harness,
  workerPid: number,
  rows: number,
  prefix: string,
): Promise<ImportResult> {
  const rss = sampleRss(workerPid)
  const heap = sampleHeap()
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
    workerPeakRssMb: Math.round(rss.stop() / 2 ** 20),
    apiPeakHeapMb: Math.round(heap.stop() / 2 ** 20),
  }
}

/**
 * P8: a CSV import of `rows` profiles on PostgreSQL (streamed, staged, applied by the import workflow),
 * then one of `largeRows` in the same process: the API and the worker's memory must not grow with the file.
 */
export async function importTiming(rows: number, largeRows: number): Promise<ImportResult[]> {
  process.env.HERALD_TEST_DB = 'postgres'
  const h = await startHarness({ inProcessWorker: false })
  const worker = startWorkerProcess(workerEnv(h))
  try {
    const small = await timedImport(h, worker.child.pid!, rows, 'p8a')
    const large = await timedImport(h, worker.child.pid!, largeRows, 'p8b')
    return [small, large]
  } finally {
    await worker.kill('SIGTERM')
    await h.close()
  }
}
