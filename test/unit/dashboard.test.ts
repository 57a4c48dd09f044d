import {
  availableActions,
  deploymentTiles,
  formatPercent,
  percentOf,
  refreshIntervalMs,
  type DeliveryAction,
} from '../../dashboard/deployment'
import { polylinePoints } from '../../dashboard/views/chart'
import {
  describeRecurrence,
  liveState,
  recurringActions,
  recurringRefreshMs,
  runConfirmation,
  type RecurringJson,
} from '../../dashboard/recurring'
import type { RecurringCommand } from '../../domain/recurring-runs'
import type { Right } from '../../domain/roles'

const progress = (processed: number, delivered: number, failed: number, toDeliver = 200) => ({
  toDeliver,
  processed,
  delivered,
  failed,
  pending: toDeliver - processed,
  retrying: 0,
  inFlight: 0,
  inDoubt: 0,
  percent: percentOf(processed, toDeliver) ?? 0,
})

describe('the Deployment block', () => {
  test('KPI tiles: sent is processed, delivered and bounces + errors are over processed', () => {
    const tiles = deploymentTiles({ progress: progress(150, 147, 3, 1200) })
    expect(Object.fromEntries(tiles.map((t) => [t.key, t.value]))).toEqual({
      toDeliver: '1,200',
      sent: '150',
      delivered: '98 %',
      bounces: '2 %',
      opens: '—',
      clicks: '—',
    })
  })

  test('before anything is processed the rates are unknown, not zero', () => {
    const tiles = deploymentTiles({ progress: progress(0, 0, 0) })
    expect(tiles.find((t) => t.key === 'delivered')!.value).toBe('—')
    expect(tiles.find((t) => t.key === 'bounces')!.value).toBe('—')
  })

  test('open and click rates show once the delivery has them', () => {
    const tiles = deploymentTiles({ progress: progress(3, 3, 0), kpis: { openRate: 66.66, clickRate: 0 } })
    expect(tiles.find((t) => t.key === 'opens')!.value).toBe('66.7 %')
    expect(tiles.find((t) => t.key === 'clicks')!.value).toBe('0 %')
  })

  test('percentages keep one decimal', () => {
    expect(percentOf(1, 3)).toBe(33.3)
    expect(formatPercent(100)).toBe('100 %')
    expect(formatPercent(null)).toBe('—')
  })

  test('the page refreshes every second while the delivery moves, less often while it waits, never once final', () => {
    expect(refreshIntervalMs('sending')).toBe(1000)
    expect(refreshIntervalMs('preparing')).toBe(1000)
    expect(refreshIntervalMs('awaiting_approval')).toBe(5000)
    expect(refreshIntervalMs('finished')).toBeNull()
  })
})

describe('the actions a user is offered', () => {
  // The rights of the API's routes, as its OpenAPI document states them (compute-stats not there yet).
  const routeRights: Partial<Record<DeliveryAction, Right>> = {
    prepare: 'editDeliveries',
    approve: 'approveDeliveries',
    reject: 'approveDeliveries',
    confirm: 'startDeliveries',
    schedule: 'editDeliveries',
    pause: 'startDeliveries',
    resume: 'startDeliveries',
    stop: 'startDeliveries',
  }
  const rightFor = (action: DeliveryAction) => routeRights[action]
  const names = (actions: { action: string }[]) => actions.map((a) => a.action)
  const ready = { status: 'ready' as const, sendingStartedAt: null }

  test('a start user may confirm a ready delivery', () => {
    const actions = availableActions(ready, ['start'], rightFor)
    expect(names(actions)).toEqual(['prepare', 'confirm', 'schedule'])
    expect(actions.every((a) => a.refusal === null)).toBe(true)
  })

  test('without the start role, Confirm send is the message naming the missing role', () => {
    const actions = availableActions(ready, ['prepare'], rightFor)
    expect(names(actions)).toEqual(['prepare', 'confirm', 'schedule'])
    expect(actions.find((a) => a.action === 'confirm')!.refusal).toBe(
      'You do not have the "Start deliveries" role (start) needed to confirm the send of a delivery.',
    )
  })

  test('an approver sees Approve and Reject while the delivery awaits approval, a viewer nothing', () => {
    const awaiting = { status: 'awaiting_approval' as const, sendingStartedAt: null }
    expect(names(availableActions(awaiting, ['approve'], rightFor))).toEqual(['approve', 'reject'])
    expect(names(availableActions(awaiting, ['viewer'], rightFor))).toEqual([])
  })

  test('while sending: pause and stop; paused: resume and stop', () => {
    const started = '2026-11-26T10:00:00.000Z'
    expect(
      names(availableActions({ status: 'sending', sendingStartedAt: started }, ['start'], rightFor)),
    ).toEqual(['pause', 'stop'])
    expect(
      names(availableActions({ status: 'paused', sendingStartedAt: started }, ['start'], rightFor)),
    ).toEqual(['resume', 'stop'])
  })

  test('an execution of a recurring delivery offers no delivery command: its runs send it', () => {
    const execution = { status: 'ready' as const, sendingStartedAt: null, recurringId: 4 }
    expect(names(availableActions(execution, ['start'], rightFor))).toEqual([])
  })

  test('Compute stats appears once the API has the route, for a delivery that has started sending', () => {
    const withStats = (action: DeliveryAction) =>
      action === 'compute-stats' ? 'computeStats' : rightFor(action)
    const finished = { status: 'finished' as const, sendingStartedAt: '2026-11-26T10:00:00.000Z' }
    expect(names(availableActions(finished, ['approve'], withStats))).toEqual(['compute-stats'])
    expect(names(availableActions(finished, ['viewer'], withStats))).toEqual([])
    expect(names(availableActions(finished, ['approve'], rightFor))).toEqual([])
    expect(names(availableActions(ready, ['start'], withStats))).not.toContain('compute-stats')
  })
})

describe('the opens and clicks chart', () => {
  test('scales time across the width and counts up to the highest value', () => {
    const points = [
      { at: '2026-11-26T10:00:00Z', opens: 0, clicks: 0 },
      { at: '2026-11-26T11:00:00Z', opens: 10, clicks: 5 },
      { at: '2026-11-26T12:00:00Z', opens: 4, clicks: 1 },
    ]
    expect(polylinePoints(points, (p) => p.opens)).toBe('40.0,172.0 334.0,12.0 628.0,108.0')
    expect(polylinePoints(points, (p) => p.clicks)).toBe('40.0,172.0 334.0,92.0 628.0,156.0')
  })
})

describe('recurring deliveries in the dashboard', () => {
  const recurrence = (r: Partial<RecurringJson['recurrence']>) => ({
    cron: null,
    every: null,
    timeZone: 'UTC',
    startsAt: null,
    endsAt: null,
    ...r,
  })

  test('a recurrence reads in words: cron in its time zone, intervals in their largest whole units', () => {
    expect(describeRecurrence(recurrence({ cron: '0 9 * * *', timeZone: 'Europe/Paris' }))).toBe(
      'At 09:00 (Europe/Paris)',
    )
    expect(describeRecurrence(recurrence({ cron: '30 8 * * MON-FRI' }))).toBe(
      'At 08:30, Monday through Friday (UTC)',
    )
    expect(describeRecurrence(recurrence({ cron: '@hourly' }))).toBe('Every hour (UTC)')
    expect(describeRecurrence(recurrence({ every: 10 * 60_000 }))).toBe('Every 10 minutes')
    expect(describeRecurrence(recurrence({ every: 86_400_000 }))).toBe('Every day')
    expect(describeRecurrence(recurrence({ every: 90_000 }))).toBe('Every 1 minute, 30 seconds')
    expect(describeRecurrence(recurrence({ every: 2000 }))).toBe('Every 2 seconds')
  })

  const rights: Partial<Record<RecurringCommand, Right>> = {
    pause: 'runWorkflows',
    resume: 'runWorkflows',
    trigger: 'runWorkflows',
    stop: 'runWorkflows',
  }
  const rightFor = (command: RecurringCommand) => rights[command]
  const names = (actions: { action: string }[]) => actions.map((a) => a.action)

  test('the workflow and start roles pause an active recurrence and resume a paused one; a viewer nothing', () => {
    expect(names(recurringActions({ status: 'active' }, ['workflow'], rightFor))).toEqual([
      'pause',
      'trigger',
      'stop',
    ])
    expect(names(recurringActions({ status: 'paused' }, ['start'], rightFor))).toEqual([
      'resume',
      'trigger',
      'stop',
    ])
    expect(names(recurringActions({ status: 'stopped' }, ['workflow'], rightFor))).toEqual([])
    expect(names(recurringActions({ status: 'active' }, ['viewer', 'prepare'], rightFor))).toEqual([])
    expect(names(recurringActions({ status: 'active' }, ['workflow'], () => undefined))).toEqual([])
  })

  test('a waiting run offers Confirm to the start role; the workflow role reads the missing role instead', () => {
    const waiting = { status: 'waiting_for_confirmation' as const }
    expect(runConfirmation(waiting, ['start'], 'startDeliveries')).toEqual({ refusal: null })
    expect(runConfirmation(waiting, ['workflow'], 'startDeliveries')).toEqual({
      refusal: 'You do not have the "Start deliveries" role (start) needed to confirm the send of a run.',
    })
    expect(runConfirmation({ status: 'sending' }, ['start'], 'startDeliveries')).toBeNull()
    expect(runConfirmation(waiting, ['start'], undefined)).toBeNull()
  })

  test('the page refreshes every second while a run prepares or sends, every few while one waits, never once nothing moves', () => {
    const now = Date.parse('2026-11-27T10:00:00Z')
    const schedule = (nextRun: string) => ({
      scheduleId: 'recurring-1',
      paused: false,
      note: null,
      nextRuns: [nextRun],
      runsStarted: 1,
      temporalUrl: '',
    })
    const hourAway = schedule('2026-11-27T11:00:00Z')
    const active = { status: 'active' as const, schedule: hourAway }
    expect(recurringRefreshMs(active, [{ status: 'sending' }], now)).toBe(1000)
    // A run sent in waves waiting for one an hour ahead moves only every few seconds; seconds before it, every second.
    const wave = (at: string) => ({
      at,
      atText: '',
      zones: ['UTC'],
      recipients: 1,
      sent: 0,
      failed: 0,
      unfinished: 1,
    })
    expect(
      recurringRefreshMs(active, [{ status: 'sending', nextWave: wave('2026-11-27T11:00:00Z') }], now),
    ).toBe(5000)
    expect(
      recurringRefreshMs(active, [{ status: 'sending', nextWave: wave('2026-11-27T10:00:03Z') }], now),
    ).toBe(1000)
    expect(recurringRefreshMs(active, [{ status: 'sent' }], now)).toBe(5000)
    expect(recurringRefreshMs({ ...active, schedule: schedule('2026-11-27T10:00:02Z') }, [], now)).toBe(1000)
    const stopped = { status: 'stopped' as const, schedule: null }
    expect(recurringRefreshMs(stopped, [{ status: 'waiting_for_confirmation' }], now)).toBe(5000)
    expect(recurringRefreshMs(stopped, [{ status: 'expired' }], now)).toBeNull()
    expect(
      recurringRefreshMs({ status: 'paused', schedule: { ...hourAway, paused: true } }, [], now),
    ).toBeNull()
  })

  test('a new run or a new status is a new live state; moving counts are not', () => {
    const recurring = { status: 'active' as const, schedule: null }
    const state = liveState(recurring, [{ id: 1, status: 'sending' }], [{ id: 7, status: 'sending' }])
    expect(liveState(recurring, [{ id: 1, status: 'sending' }], [{ id: 7, status: 'sending' }])).toBe(state)
    expect(liveState(recurring, [{ id: 1, status: 'sent' }], [{ id: 7, status: 'sending' }])).not.toBe(state)
    expect(
      liveState(
        recurring,
        [
          { id: 2, status: 'started' },
          { id: 1, status: 'sending' },
        ],
        [{ id: 7, status: 'sending' }],
      ),
    ).not.toBe(state)
    expect(liveState({ ...recurring, status: 'paused' }, [{ id: 1, status: 'sending' }], [])).not.toBe(state)
  })
})
