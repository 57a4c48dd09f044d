import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { bundleWorkflowCode } from '@temporalio/worker'
import { startDevServer, type DevServer } from '../../runtime/dev-server'
import { ensurePostgres } from './postgres'

/** One Temporal dev server and one workflow bundle for the whole run. */
export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[herald tests] ${line}\n`)
  const [server, bundle] = await Promise.all([
    // Temporal continues a schedule's own workflow as new when it suggests so (4 Ki events by default);
    // a lower mark lets the recurrence test see that bound after about 50 runs.
    startDevServer({ log, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 400 } }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
  ])
  const bundlePath = path.join(os.tmpdir(), `herald-workflows-${process.pid}.js`)
  fs.writeFileSync(bundlePath, bundle.code)
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = server.address
  process.env.HERALD_TEST_WORKFLOW_BUNDLE = bundlePath
  const databases = process.env.HERALD_TEST_DATABASES?.split(',') ?? ['sqlite', 'postgres']
  if (databases.includes('postgres')) await ensurePostgres(log)
  ;(globalThis as { heraldDevServer?: DevServer }).heraldDevServer = server
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundle] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundle] ${message}\n`),
}
