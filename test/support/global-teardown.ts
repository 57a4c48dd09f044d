import fs from 'node:fs'
import type { DevServer } from '../../runtime/dev-server'

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { heraldDevServer?: DevServer }).heraldDevServer?.stop()
  const bundle = process.env.HERALD_TEST_WORKFLOW_BUNDLE
  if (bundle) fs.rmSync(bundle, { force: true })
}
