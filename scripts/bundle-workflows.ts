import fs from 'node:fs'
import path from 'node:path'
import { bundleWorkflowCode } from '@temporalio/worker'

/** Pre-builds the workflow bundle for images, so workers start without webpack. */
async function run(out = process.argv[2] ?? 'dist/workflow-bundle.js') {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') })
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, code)
  console.log(`workflow bundle written to ${out}`)
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
