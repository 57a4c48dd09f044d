import http from 'node:http'
import { freePort } from '../runtime/dev-server'
import { startTracing, stopTracing } from '../observability/tracing'
import { sendThroughput } from './p1-throughput'

export interface TracingCostResult {
  messages: number
  database: string
  /** messages a second, each run in turn: off, on, off, on */
  offPerSecond: number[]
  onPerSecond: number[]
  offCpuUsPerMessage: number[]
  onCpuUsPerMessage: number[]
  /** on ÷ off, of the medians */
  ratio: number
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * P1 with tracing off, then on (OTLP/HTTP to a receiver in this process), twice in turn: what the spans
 * of each request, workflow task and batch cost a send. Messages are not spans: a batch of 500 is one.
 */
export async function tracingCost(
  messages: number,
  database: 'sqlite' | 'postgres',
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
    spansReceived: 0,
  }
  try {
    for (const traced of [false, true, false, true]) {
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
  result.ratio = Math.round((median(result.onPerSecond) / median(result.offPerSecond)) * 100) / 100
  result.spansReceived = receiver.spans()
  return result
}
