import fs from 'node:fs'
import { isMainThread } from 'node:worker_threads'

/**
 * Loaded into a worker by the benchmark (`--require tsx/cjs --require bench/pg-probe.ts`, with
 * $HERALD_PG_PROBE_FILE; the workflow threads inherit the options and ignore it): times every
 * query the worker's PostgreSQL driver runs, from the call to its answer — for a statement outside a
 * transaction, its commit and disk flush included — and writes per-statement figures to the file when
 * the process exits. Measurement only: the send path is unchanged.
 */
type Callback = (err: unknown, result: unknown) => void
type Query = (this: unknown, config: unknown, values?: unknown, callback?: unknown) => unknown

// eslint-disable-next-line @typescript-eslint/no-require-imports -- pg has no types here; it is patched
const { Client } = require('pg') as { Client: { prototype: { query: Query } } }
const durations = new Map<string, number[]>()

function record(key: string, started: bigint): void {
  const list = durations.get(key) ?? []
  list.push(Number(process.hrtime.bigint() - started) / 1000)
  durations.set(key, list)
}

const query = Client.prototype.query
Client.prototype.query = function (config, values, callback) {
  const started = process.hrtime.bigint()
  const spec = config as { name?: string; text?: string } | string
  const text = typeof spec === 'string' ? spec : (spec?.name ?? spec?.text ?? '?')
  const key = text.replace(/\s+/g, ' ').slice(0, 60)
  const timed =
    (done: Callback): Callback =>
    (err, result) => {
      record(key, started)
      done(err, result)
    }
  if (typeof values === 'function') return query.call(this, config, timed(values as Callback))
  if (typeof callback === 'function') return query.call(this, config, values, timed(callback as Callback))
  const result = query.call(this, config, values, callback)
  if (result instanceof Promise)
    result.then(
      () => record(key, started),
      () => record(key, started),
    )
  return result
}

process.on('exit', () => {
  if (!isMainThread) return
  const figures: Record<string, unknown> = {}
  for (const [key, list] of durations) {
    list.sort((a, b) => a - b)
    const at = (q: number) => Math.round(list[Math.min(list.length - 1, Math.floor(q * list.length))])
    const totalMs = Math.round(list.reduce((a, b) => a + b, 0) / 1000)
    figures[key] = { calls: list.length, totalMs, p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99) }
  }
  if (process.env.HERALD_PG_PROBE_FILE)
    fs.writeFileSync(process.env.HERALD_PG_PROBE_FILE, JSON.stringify(figures, null, 2))
})
