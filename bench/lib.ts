import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import { bundleWorkflowCode } from '@temporalio/worker'
import { startDevServer, type DevServer } from '../runtime/dev-server'

/** Shared setup for `npm run bench`: one Temporal dev server, one workflow bundle, sinks in child processes. */

export interface BenchEnv {
  server: DevServer
  close(): Promise<void>
}

export async function startBenchEnv(): Promise<BenchEnv> {
  const server = await startDevServer({ log: (line) => console.error(`[bench] ${line}`) })
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: silent,
  })
  const bundlePath = path.join(os.tmpdir(), `herald-bench-${process.pid}.js`)
  fs.writeFileSync(bundlePath, code)
  // The test harness is reused for the Herald side; it reads these.
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = server.address
  process.env.HERALD_TEST_WORKFLOW_BUNDLE = bundlePath
  return {
    server,
    async close() {
      await server.stop()
      fs.rmSync(bundlePath, { force: true })
    },
  }
}

export { SinkProcess, type SinkCounts } from '../runtime/supervisor'

/** Peak resident set size of a process, sampled every 100 ms. */
export function sampleRss(pid: number = process.pid): { stop(): number } {
  let peak = 0
  const read = () => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
      peak = Math.max(peak, kb * 1024)
    } catch {
      // process gone
    }
  }
  read()
  const timer = setInterval(read, 100)
  return {
    stop() {
      clearInterval(timer)
      read()
      return peak
    },
  }
}

export const silent = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
}

export function machine(): Record<string, string | number> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  }
}
