import fs from 'node:fs'
import path from 'node:path'
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker'
import { historyFromJSON } from '@temporalio/common/lib/proto-utils'

/**
 * Determinism guard: histories recorded from real deliveries (scripts/record-histories.ts) must replay
 * against today's workflow code; a change that would break running workflows fails here.
 */
Runtime.install({ logger: new DefaultLogger('WARN') })

const dir = path.resolve(__dirname, '../fixtures/histories')
const files = fs.readdirSync(dir).filter((name) => name.endsWith('.json'))

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(3)
})

test.each(files)('recorded history %s replays without nondeterminism', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')))
  const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.HERALD_TEST_WORKFLOW_BUNDLE! } },
    history,
    workflowId,
  )
})
