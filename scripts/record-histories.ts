import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { bundleWorkflowCode } from '@temporalio/worker'
import { execFileSync } from 'node:child_process'
import { startDevServer } from '../runtime/dev-server'
import { findTemporalCli } from '../runtime/temporal-cli'
import { importProfiles, readyDelivery, sleep, startHarness, type Harness } from '../test/support/harness'
import { createRecurring, waitForRuns, withStatus } from '../test/support/recurring'

/**
 * Records real delivery histories into test/fixtures/histories; the replay test replays them against
 * today's workflow code, so a change that breaks running workflows fails the build.
 * Run `npm run record-histories [scenario…]` only when a history should join the set; it never
 * overwrites a file, and names of scenarios limit the recording to them.
 * A scenario returns a delivery id (its workflow is recorded) or the ids of the workflows to record.
 */
const harnessOptions = {
  env: { HERALD_BATCH_SIZE: '10', HERALD_RETRY_INTERVAL: '1s', HERALD_MIN_RECURRENCE: '1s' },
  settings: { batchesPerRun: 3, statsIntervalMs: 1000, trackingPeriodMs: 6000, statsRefreshesPerRun: 3 },
}

const scenarios: Record<string, (h: Harness) => Promise<number | string[]>> = {
  async 'approved-and-sent'(h) {
    const id = await readyDelivery(h, await importProfiles(h, 45))
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 45 } })
    await h.waitForStatus(id, 'finished')
    return id
  },
  async 'rejected-edited-scheduled'(h) {
    const ids = await importProfiles(h, 5)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'R', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    await h.api('POST', `/api/deliveries/${id}/reject`, { as: 'approve', body: { reason: 'too short' } })
    await h.api('PATCH', `/api/deliveries/${id}`, { body: { text: 'Longer text' } })
    await h.api('POST', `/api/deliveries/${id}/schedule`, {
      body: { contactDate: new Date(Date.now() + 2000).toISOString() },
    })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    return id
  },
  async 'paused-resumed-retried-continued'(h) {
    const ids = await importProfiles(h, 60)
    const soft = (await h.api('GET', `/api/profiles/${ids[5]}`)).body.email
    let tries = 0
    h.sink.recipientRule = (address) =>
      address === soft && ++tries <= 1 ? { code: 451, message: 'try later' } : null
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.api('POST', `/api/deliveries/${id}/pause`, { as: 'start' })
    await h.api('POST', `/api/deliveries/${id}/resume`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    h.sink.recipientRule = null
    return id
  },
  /** Confirmed for a later date, moved to now by a prepare user: back to ready, confirmed again, sent. */
  async 'confirmed-rescheduled-reconfirmed'(h) {
    const later = new Date(Date.now() + 3600_000).toISOString()
    const id = await readyDelivery(h, await importProfiles(h, 5), { contactDate: later })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 5 } })
    await h.waitForStatus(id, 'start_pending')
    await h.api('POST', `/api/deliveries/${id}/schedule`, { as: 'prepare', body: { contactDate: null } })
    await h.waitForStatus(id, 'ready')
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 5 } })
    await h.waitForStatus(id, 'finished')
    return id
  },
  /** An audience stored with a field that is no column: the preparation fails at once; fixed, it is sent. */
  async 'preparation-input-failed-fixed'(h) {
    const ids = await importProfiles(h, 3)
    const created = await h.api('POST', '/api/deliveries', {
      body: { label: 'Input', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    const id = created.body.id
    const audience = { filter: [{ field: 'constructor', op: 'eq', value: 'x' }] }
    await h.db
      .knex('delivery')
      .where('id', id)
      .update({ audience: JSON.stringify(audience) })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'preparation_failed')
    await h.api('PATCH', `/api/deliveries/${id}`, { body: { audience: { profileIds: ids } } })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    await h.api('POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 3 } })
    await h.waitForStatus(id, 'finished')
    return id
  },
  /** Tracking on: an open and a click, Compute stats through the stats child, which continues as new. */
  async 'tracked-with-stats'(h) {
    const ids = await importProfiles(h, 12)
    const id = await readyDelivery(h, ids, {
      html: '<p>Hi {{firstName}} <a href="https://example.com/offer">offer</a></p>',
      tracking: true,
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 12 } })
    const { workflowId } = await h.waitForStatus(id, 'finished')
    await h.client.workflow.getHandle(workflowId).result()
    const mail = await h.sink.parsed(
      h.sink.messages.find((m) => m.messageId?.includes(`.d${id}.p${ids[0]}@`))!.seq,
    )
    const html = String(mail.html)
    await h.app.request(/<img src="([^"]+)"/.exec(html)![1])
    await h.app.request(/href="([^"]*\/t\/c\/[^"]+)"/.exec(html)![1])
    await h.api('POST', `/api/deliveries/${id}/compute-stats`)
    await h.client.workflow.getHandle(`${workflowId}-stats`).result()
    // Both the delivery's workflow and its stats child, which continued as new.
    return [workflowId, `${workflowId}-stats`]
  },
  /** Run 1 confirmed and sent, run 2 expired when run 3 was due, run 3 expired by the stop. */
  async 'recurring-confirmed-expired'(h) {
    const ids = await importProfiles(h, 5)
    const id = await createRecurring(h, {
      audience: { profileIds: ids },
      confirmBeforeEachSend: true,
      recurrence: { every: '4s', startsAt: new Date(Date.now() + 1500).toISOString() },
    })
    const [first] = await waitForRuns(h, id, (r) => withStatus(r, 'waiting_for_confirmation').length === 1)
    await h.api('POST', `/api/recurring-deliveries/${id}/runs/${first.id}/confirm`, {
      as: 'start',
      body: { expectedMessages: 5 },
    })
    await waitForRuns(h, id, (r) => withStatus(r, 'expired').length === 1 && r.length === 3)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    const runs = await waitForRuns(h, id, (r) => r.every((run) => run.status !== 'waiting_for_confirmation'))
    return runs.map((run) => run.workflowId)
  },
  /** Two runs add to one daily execution; the first sends 35 messages in 4 batches and continues as new. */
  async 'recurring-aggregated-continued'(h) {
    const segment = `record-${Date.now()}`
    await importProfiles(h, 35, () => ({ attributes: { segment } }))
    const id = await createRecurring(h, {
      audience: { filter: [{ field: 'attributes.segment', op: 'eq', value: segment }] },
      aggregation: 'day',
      recurrence: { every: '4s', startsAt: new Date(Date.now() + 1500).toISOString() },
    })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    await importProfiles(h, 3, () => ({ attributes: { segment } }))
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 2)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    const runs = await waitForRuns(h, id, (r) => r.every((run) => run.status !== 'started'))
    return withStatus(runs, 'sent').map((run) => run.workflowId)
  },
  /** Tracking on, two runs add to one daily execution: the first starts its stats child, the second finds it running. */
  async 'recurring-tracked-stats'(h) {
    const segment = `record-stats-${Date.now()}`
    await importProfiles(h, 4, () => ({ attributes: { segment } }))
    const id = await createRecurring(h, {
      audience: { filter: [{ field: 'attributes.segment', op: 'eq', value: segment }] },
      aggregation: 'day',
      tracking: true,
      html: '<p>Hi {{firstName}} <a href="https://example.com/news">news</a></p>',
      recurrence: { every: '1h' },
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    await importProfiles(h, 2, () => ({ attributes: { segment } }))
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const runs = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 2)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    return runs.map((run) => run.workflowId)
  },
  /**
   * The relay refuses every connection past a validity period of one second: the run's two batches are
   * retried until their deadline (a minute at the least); the first to fail for good ends the send (and,
   * from patch 'run-failure-cancels-batches' on, cancels the other), and the run fails with the reason.
   */
  /**
   * Sent at each recipient's local time: a wave past at the confirmation (sent at once), the next a few
   * seconds ahead, paused while waiting for it and resumed once it is due; the run that sent the first wave
   * continues as new before waiting.
   */
  async 'recipient-time-zone-waves'(h) {
    const ids = await importProfiles(h, 3, (i) => ({ timeZone: ['Etc/GMT-1', null, 'Etc/GMT-1'][i - 1] }))
    const lead = 8000
    const wall = new Date(Date.now() + lead).toISOString().slice(0, 19)
    const id = await readyDelivery(h, ids, { contactDate: wall, timeZone: 'UTC', recipientTimeZone: true })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    const due = Date.parse(`${wall}Z`)
    while (!(await h.api('GET', `/api/deliveries/${id}`)).body.waves?.[0]?.sent) await sleep(100)
    await h.api('POST', `/api/deliveries/${id}/pause`, { as: 'start' })
    while (Date.now() < due + 1000) await sleep(100)
    await h.api('POST', `/api/deliveries/${id}/resume`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    return id
  },
  /**
   * A recurring delivery sent at each recipient's local time, triggered (its latest occurrence, an hour
   * ago): a wave past (sent at once), the next at the coming minute of its hourly cron in UTC−1 (the
   * schedule fires then too and asks the run to give way: it goes on), the last an hour ahead; the run
   * continues as new after each wave, and a stop (signal) ends it without the last wave.
   */
  async 'recurring-waves-stopped'(h) {
    const ids = await importProfiles(h, 3, (i) => ({ timeZone: [null, 'Etc/GMT+1', 'Etc/GMT+2'][i - 1] }))
    const planned = Math.ceil((Date.now() + 8000) / 60_000) * 60_000
    const id = await createRecurring(h, {
      audience: { profileIds: ids },
      recipientTimeZone: true,
      recurrence: { cron: `${new Date(planned).getUTCMinutes()} * * * *`, timeZone: 'UTC' },
    })
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    await waitForRuns(h, id, (r) => r[0]?.waves?.[1]?.sent === 1, 120_000)
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => r[0]?.status === 'stopped')
    return [run.workflowId]
  },
  async 'recurring-send-failed'() {
    const h = await startHarness({
      ...harnessOptions,
      settings: { ...harnessOptions.settings, validityMs: 1000 },
    })
    try {
      const ids = await importProfiles(h, 15)
      const id = await createRecurring(h, { audience: { profileIds: ids }, recurrence: { every: '1h' } })
      const outage = h.sink.refuseConnectionsFor(120_000)
      await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
      const runs = await waitForRuns(h, id, (r) => withStatus(r, 'failed').length === 1, 180_000)
      const [run] = withStatus(runs, 'failed')
      await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
      await h.client.workflow.getHandle(run.workflowId).result()
      await outage
      return [run.workflowId]
    } finally {
      await h.close()
    }
  },
}

async function record() {
  const found = findTemporalCli(console.error)
  if (found.kind !== 'binary') throw new Error('recording needs the Temporal CLI binary')
  const cli = found.path
  const server = await startDevServer({ log: console.error })
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') })
  const bundlePath = path.join(os.tmpdir(), `herald-record-${process.pid}.js`)
  fs.writeFileSync(bundlePath, bundle.code)
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = server.address
  process.env.HERALD_TEST_WORKFLOW_BUNDLE = bundlePath
  const h = await startHarness(harnessOptions)
  const dir = path.resolve(__dirname, '../test/fixtures/histories')
  const stamp = new Date().toISOString().slice(0, 10)
  const only = process.argv.slice(2)
  const unknown = only.filter((name) => !(name in scenarios))
  if (unknown.length) throw new Error(`unknown scenarios: ${unknown.join(', ')}`)
  try {
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (only.length && !only.includes(name)) continue
      const result = await scenario(h)
      const workflowIds =
        typeof result === 'number' ? [`${h.config.temporal.workflowIdPrefix}delivery-${result}`] : result
      let n = 0
      for (const workflowId of workflowIds) {
        // The database may say finished before the workflow has closed (stats child, last replies).
        await h.client.workflow
          .getHandle(workflowId)
          .result()
          .catch(() => undefined)
        for await (const run of h.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
          // The CLI's JSON is the form the Temporal UI exports, which historyFromJSON reads back.
          const json = execFileSync(cli, [
            'workflow',
            'show',
            '--address',
            server.address,
            '-w',
            workflowId,
            '-r',
            run.runId,
            '-o',
            'json',
          ])
          const file = path.join(dir, `${stamp}-${name}-run${++n}.json`)
          fs.writeFileSync(file, json, { flag: 'wx' })
          console.log(`recorded ${file} (${run.historyLength} events)`)
        }
      }
    }
  } finally {
    await h.close()
    await server.stop()
    fs.rmSync(bundlePath, { force: true })
  }
}

record().catch((err) => {
  console.error(err)
  process.exit(1)
})
