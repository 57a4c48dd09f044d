import http from 'node:http'
import { freePort } from '../runtime/dev-server'
import { startTracing, stopTracing } from '../observability/tracing'
import { sendThroughput } from './p1-throughput'

export interface TracingCostResult {
  messages: number
  database: string
  /** messages a second, each run in turn: off, on, off, on… */
  offPerSecond: number[]
  onPerSecond: number[]
  offCpuUsPerMessage: number[]
  onCpuUsPerMessage: number[]
  /** on ÷ off: of the mean rates, and of the mean CPU per message */
  ratio: number
  cpuRatio: number
  spansReceived: number
}

/** An OTLP/HTTP endpoint that takes every export and counts the spans. */
async function countingReceiver() {
  let spans = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      spans += (body.match(/"spanId"/g) ?? []).length
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${port}`, spans: () => spans, close: () => server.close() }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
const ratioOf = (on: number[], off: number[]) => Math.round((mean(on) / mean(off)) * 100) / 100

/**
 * P1 with tracing off, then on (OTLP/HTTP to a receiver in this process), `pairs` times in turn: what
 * the spans of each request, workflow task and batch cost a send. Messages are not spans: a batch of 500
 * is one. A shared machine's noise is larger than the difference: compare the means, and the CPU.
 */
export async function tracingCost(
  messages: number,
  database: 'sqlite' | 'postgres',
  pairs = 3,
): Promise<TracingCostResult> {
  const receiver = await countingReceiver()
  const result: TracingCostResult = {
    messages,
    database,
    offPerSecond: [],
    onPerSecond: [],
    offCpuUsPerMessage: [],
    onCpuUsPerMessage: [],
    ratio: 0,
    cpuRatio: 0,
    spansReceived: 0,
  }
  try {
    for (const traced of Array.from({ length: pairs * 2 }, (_, i) => i % 2 === 1)) {
      if (traced) {
        process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
        await startTracing('herald-bench')
      }
      const r = await sendThroughput(messages, database, 5, true)
      if (traced) {
        await stopTracing()
        delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
      }
      ;(traced ? result.onPerSecond : result.offPerSecond).push(r.heraldPerSecond)
      ;(traced ? result.onCpuUsPerMessage : result.offCpuUsPerMessage).push(r.heraldCpuUsPerMessage)
    }
  } finally {
    receiver.close()
  }
  result.ratio = ratioOf(result.onPerSecond, result.offPerSecond)
  result.cpuRatio = ratioOf(result.onCpuUsPerMessage, result.offCpuUsPerMessage)
  result.spansReceived = receiver.spans()
  return result
}
