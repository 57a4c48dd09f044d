import fs from 'node:fs'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { parseMessageId } from '../../domain/message-id'
import { deliveryWorkflowId } from '../../workflows/messages'
import { temporalServices } from '../../runtime/cluster'
import {
  importProfiles,
  inDoubtProfiles,
  poolSize,
  readyDelivery,
  startTestCluster,
  until,
  waitForDelivery,
  workersSending,
  type TestCluster,
} from './support'

/**
 * docker-compose.yml's topology, run for real (`npm run cluster`): Temporal v1.30.1 on PostgreSQL with its
 * four services as processes, two API replicas, three workers, the SMTP sink answering each message after
 * 60 ms like a remote relay. Processes are killed at points chosen by observed progress.
 */
describe('Herald on a Temporal cluster: two API replicas, three workers', () => {
  let t: TestCluster
  beforeAll(async () => {
    // Three batches in flight, so that every worker has one to finish or lose.
    t = await startTestCluster({ HERALD_BATCH_WINDOW: '3' }, { replyDelayMs: 60 })
  })
  afterAll(() => t?.close())

  const received = (deliveryId: number) => t.cluster.sink.received(`<herald.d${deliveryId}.`)

  test('the README tour: a delivery’s lifecycle, its commands sent alternately to both replicas', async () => {
    const { api, cluster } = t
    const profileIds = await importProfiles(api, 2, 'tour')
    const { id } = await api.expect(201, 'POST', '/api/deliveries', {
      body: {
        label: 'Welcome',
        subject: 'Hello {{firstName}}',
        html: '<p>Hi {{firstName}}. <a href="https://example.com/pricing">See the plans</a></p>',
        text: 'Hi {{firstName}}',
        tracking: true,
        audience: { profileIds },
      },
    })
    await api.expect(200, 'POST', `/api/deliveries/${id}/prepare`)
    const prepared = await waitForDelivery(api, id, (d) => d.status === 'awaiting_approval')
    expect(prepared.messagesToDeliver).toBe(2)
    await api.expect(200, 'POST', `/api/deliveries/${id}/approve`, { as: 'approve' })
    const confirm = `/api/deliveries/${id}/confirm`
    await api.expect(403, 'POST', confirm, { as: 'approve', body: { expectedMessages: 2 } })
    await api.expect(409, 'POST', confirm, { body: { expectedMessages: 3 } })
    await api.expect(200, 'POST', confirm, { body: { expectedMessages: 2 } })
    const finished = await waitForDelivery(api, id, (d) => d.status === 'finished')
    expect(finished.progress).toMatchObject({ toDeliver: 2, delivered: 2, processed: 2 })
    expect([...(await received(id)).values()]).toEqual([1, 1])
    const logs = await api.expect(200, 'GET', `/api/deliveries/${id}/sending-logs?status=sent`)
    expect(logs.items).toHaveLength(2)

    // The message's links: the pixel on one replica, the click on the other (one tracking secret).
    const html = await messageHtml(cluster.dataDir, id)
    const pixel = /http:\/\/localhost:\d+(\/t\/o\/[^"]+)/.exec(html)![1]
    const click = /http:\/\/localhost:\d+(\/t\/c\/[^"]+)/.exec(html)![1]
    expect((await fetch(`${cluster.apiUrls[1]}${pixel}`)).status).toBe(200)
    const clicked = await fetch(`${cluster.apiUrls[0]}${click}`, { redirect: 'manual' })
    expect([clicked.status, clicked.headers.get('location')]).toEqual([302, 'https://example.com/pricing'])
    const stats = await api.expect(200, 'POST', `/api/deliveries/${id}/compute-stats`)
    expect(stats.kpis).toMatchObject({ delivered: 2, opens: 1, clicks: 1 })
    // The workflow, in the Temporal UI's API.
    const ui = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default/workflows/${deliveryWorkflowId(id)}`)
    expect(ui.status).toBe(200)
  })

  test('an API replica killed with -9 mid-command: the client retries on the other, nothing is applied twice', async () => {
    const { api, cluster } = t
    const [profileId] = await importProfiles(api, 1, 'retry')
    const { id } = await api.expect(201, 'POST', '/api/deliveries', {
      body: { label: 'Retried', subject: 'Hi', text: 'Hi', audience: { profileIds: [profileId] } },
    })
    const contactDate = (n: number) => `2031-01-${String(n).padStart(2, '0')}T09:00:00.000Z`
    const send = (replica: number, n: number) =>
      api.call(replica, 'POST', `/api/deliveries/${id}/schedule`, {
        body: { contactDate: contactDate(n) },
        headers: { 'Idempotency-Key': `command-${n}` },
      })
    // The client: a request without an answer is sent again, same key, to the other replica.
    const command = (replica: number, n: number) => send(replica, n).catch(() => send(1 - replica, n))
    const updateId = (n: number) => `schedule:demo-start:command-${n}`

    for (const n of [1, 2, 3]) expect((await command(n % 2, n)).status).toBe(200)
    // Command 4 reaches Temporal through replica 1, which dies before it can answer: the workers are
    // frozen meanwhile, so the update waits, admitted.
    cluster.workers.forEach((w) => w.signal('SIGSTOP'))
    let retried: ReturnType<typeof send>
    try {
      const lost = send(0, 4)
      await until('command 4 admitted by Temporal', () => admitted(cluster, id, updateId(4)))
      await cluster.apis[0].kill('SIGKILL')
      await expect(lost).rejects.toThrow()
      retried = send(1, 4)
    } finally {
      cluster.workers.forEach((w) => w.signal('SIGCONT'))
    }
    expect((await retried).status).toBe(200)
    // Replica 1 is down: what the client sends it, replica 2 serves.
    for (const n of [5, 6]) expect((await command(n % 2 === 0 ? 0 : 1, n)).status).toBe(200)
    await cluster.apis[0].start()
    expect((await send(0, 7)).status).toBe(200)

    expect(await acceptedUpdates(cluster, id, 'schedule')).toEqual([1, 2, 3, 4, 5, 6, 7].map(updateId))
    const delivery = await api.expect(200, 'GET', `/api/deliveries/${id}`)
    expect(delivery.contactDate).toBe(contactDate(7))
  })

  test('20,000 messages through a rolling restart of each worker and a kill -9: none missing, duplicates only from the kill, each in doubt', async () => {
    const { api, cluster, db } = t
    const total = 20_000
    const id = await readyDelivery(api, await importProfiles(api, total, 'rolling'), 'Rolling deploy')
    await api.expect(200, 'POST', `/api/deliveries/${id}/confirm`, { body: { expectedMessages: total } })
    const sent = async () => (await received(id)).size
    const reached = (share: number) =>
      until(`${share * 100} % sent`, async () => (await sent()) >= total * share)

    // A rolling deploy: each worker in turn gets SIGTERM, finishes its batches, and starts again.
    for (const [i, worker] of cluster.workers.entries()) {
      await reached([0.05, 0.15, 0.25][i])
      expect(await worker.stop()).toBe('0')
      await worker.start()
    }
    expect(await inDoubtProfiles(db, id)).toEqual([])

    await reached(0.35)
    let victims: Awaited<ReturnType<typeof workersSending>> = []
    await until(
      'a worker holding a batch',
      async () => (victims = await workersSending(cluster, id)).length > 0,
    )
    await victims[0].kill('SIGKILL')
    const atKill = await sent()
    expect(atKill).toBeLessThan(total)
    await victims[0].start()

    const finished = await waitForDelivery(api, id, (d) => d.status === 'finished', 600_000)
    const counts = await received(id)
    const duplicated = [...counts].filter(([, n]) => n > 1)
    const inDoubt = await inDoubtProfiles(db, id)
    console.log(
      'rolling deploy and kill -9:',
      JSON.stringify({
        killedAt: atKill,
        distinct: counts.size,
        duplicated: duplicated.length,
        inDoubt: inDoubt.length,
      }),
    )
    expect(counts.size).toBe(total)
    expect(duplicated.length).toBeLessThanOrEqual(poolSize)
    for (const [messageId] of duplicated) expect(inDoubt).toContain(parseMessageId(messageId)!.profileId)
    // A lane holds at most two unrecorded rows, only one of which can have reached the server.
    expect(inDoubt.length).toBeLessThanOrEqual(2 * poolSize)
    expect(finished.progress).toMatchObject({
      toDeliver: total,
      processed: total,
      delivered: total,
      inDoubt: inDoubt.length,
    })
  })

  test('the history service killed with -9 mid-send and started again: nothing lost, the delivery finishes', async () => {
    const { api, cluster, db } = t
    const total = 5000
    const id = await readyDelivery(api, await importProfiles(api, total, 'history'), 'History crash')
    await api.expect(200, 'POST', `/api/deliveries/${id}/confirm`, { body: { expectedMessages: total } })
    await until('30 % sent', async () => (await received(id)).size >= total * 0.3)
    await cluster.temporal.history.kill('SIGKILL')
    await cluster.temporal.history.start()

    const finished = await waitForDelivery(api, id, (d) => d.status === 'finished', 600_000)
    const counts = await received(id)
    const inDoubt = await inDoubtProfiles(db, id)
    expect(counts.size).toBe(total)
    for (const [messageId, n] of counts)
      if (n > 1) expect(inDoubt).toContain(parseMessageId(messageId)!.profileId)
    expect(finished.progress).toMatchObject({ toDeliver: total, processed: total, delivered: total })
  })

  test('a recurring delivery with confirmation keeps its schedule across a restart of every Temporal service', async () => {
    const { api, cluster } = t
    const profileIds = await importProfiles(api, 3, 'recurring')
    const { id } = await api.expect(201, 'POST', '/api/recurring-deliveries', {
      as: 'prepare',
      body: {
        label: 'Every minute',
        subject: 'Hi {{firstName}}',
        text: 'Hi',
        audience: { profileIds },
        confirmBeforeEachSend: true,
        recurrence: { every: '1m', startsAt: new Date(Date.now() + 2000).toISOString() },
      },
    })
    const runs = async () =>
      ((await api.expect(200, 'GET', `/api/recurring-deliveries/${id}/runs`)).items as any[]).reverse()
    let first: any
    await until('run 1 waiting for its confirmation', async () => {
      first = (await runs())[0]
      return first?.status === 'waiting_for_confirmation'
    })
    const before = await api.expect(200, 'GET', `/api/recurring-deliveries/${id}`)
    expect(before.schedule.nextRuns.length).toBeGreaterThan(1)

    // Every service down (SIGTERM), then all up again.
    await Promise.all(temporalServices.map((s) => cluster.temporal[s].stop()))
    await Promise.all(temporalServices.map((s) => cluster.temporal[s].start()))

    let after: any
    await until('the schedule described again', async () => {
      after = (await api.call(0, 'GET', `/api/recurring-deliveries/${id}`, { as: 'viewer' })).body
      return after?.schedule?.nextRuns?.length > 0
    })
    expect(after.status).toBe('active')
    expect(before.schedule.nextRuns).toContain(after.schedule.nextRuns[0])

    const confirmUrl = `/api/recurring-deliveries/${id}/runs/${first.id}/confirm`
    await api.expect(200, 'POST', confirmUrl, { body: { expectedMessages: 3 } })
    await waitForDelivery(api, first.executionId, (d) => d.status === 'finished')
    expect([...(await received(first.executionId)).values()]).toEqual([1, 1, 1])
    // The schedule fires by itself after the restart: run 2, at a time it had announced before.
    let second: any
    await until(
      'run 2 started by the schedule',
      async () => {
        second = (await runs())[1]
        return second?.status === 'waiting_for_confirmation'
      },
      150_000,
    )
    expect(before.schedule.nextRuns).toContain(second.scheduledAt)
    await api.expect(200, 'POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
  })
})

/** The HTML of the first message of a delivery in the sink's mail folder. */
async function messageHtml(dataDir: string, deliveryId: number): Promise<string> {
  const dir = path.join(dataDir, 'mail')
  for (const name of fs.readdirSync(dir)) {
    const mail = await simpleParser(fs.readFileSync(path.join(dir, name)))
    if (mail.messageId?.startsWith(`<herald.d${deliveryId}.`)) return String(mail.html)
  }
  throw new Error(`no message of delivery ${deliveryId} in ${dir}`)
}

/** Temporal knows the update (admitted at least): a non-blocking poll finds it. */
async function admitted(cluster: TestCluster['cluster'], deliveryId: number, updateId: string) {
  try {
    await cluster.client.workflowService.pollWorkflowExecutionUpdate({
      namespace: cluster.namespace,
      updateRef: { workflowExecution: { workflowId: deliveryWorkflowId(deliveryId) }, updateId },
      identity: 'cluster-test',
    })
    return true
  } catch {
    return false
  }
}

/** The ids of the updates named `name` that the workflow accepted, in order. */
async function acceptedUpdates(cluster: TestCluster['cluster'], deliveryId: number, name: string) {
  const history = await cluster.client.workflow.getHandle(deliveryWorkflowId(deliveryId)).fetchHistory()
  return (history.events ?? [])
    .map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest)
    .filter((request) => request?.input?.name === name)
    .map((request) => request!.meta!.updateId!)
}
