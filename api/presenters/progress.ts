import { computeKpis } from '../../domain/kpis'
import type { StatusCounts } from '../../persistence/sending-logs'

/** How far a send has come, from the counts of its sending logs by status. */
export function progressOf(toDeliver: number, counts: StatusCounts) {
  const processed = counts.sent + counts.failed + counts.in_doubt
  return {
    toDeliver,
    processed,
    delivered: counts.sent,
    failed: counts.failed + counts.in_doubt,
    pending: counts.pending,
    retrying: counts.retry,
    inFlight: counts.sending,
    inDoubt: counts.inDoubt,
    percent: toDeliver ? Math.round((processed / toDeliver) * 1000) / 10 : 0,
  }
}

/** The sending figures of the KPIs (a run's: opens and clicks belong to its execution). */
export function sendingKpis(toDeliver: number, logs: StatusCounts) {
  const {
    opens: _o,
    clicks: _c,
    openRate: _or,
    clickRate: _cr,
    ...sending
  } = computeKpis({
    toDeliver,
    delivered: logs.sent,
    failed: logs.failed + logs.in_doubt,
    uniqueOpens: 0,
    uniqueClicks: 0,
  })
  return sending
}
