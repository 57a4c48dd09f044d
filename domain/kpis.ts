/**
 * Deployment KPIs (SPEC.md "Deployment / KPIs"; ACS "indicator calculation"): processed = delivered +
 * failed; delivered % and bounces + errors % over processed; opens % and clicks % over delivered.
 */

export interface KpiCounts {
  toDeliver: number
  delivered: number
  /** failed for good, in doubt left unsent included */
  failed: number
  /** unique profiles with any tracking event / who clicked; absent while tracking is not recorded */
  uniqueOpens?: number
  uniqueClicks?: number
}

export interface Kpis {
  messagesToDeliver: number
  /** processed: delivered + failed */
  messagesSent: number
  delivered: number
  deliveredPercent: number
  bouncesPercent: number
  openPercent: number | null
  clickPercent: number | null
}

const percent = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : 0)

export function kpis(counts: KpiCounts): Kpis {
  const processed = counts.delivered + counts.failed
  return {
    messagesToDeliver: counts.toDeliver,
    messagesSent: processed,
    delivered: counts.delivered,
    deliveredPercent: percent(counts.delivered, processed),
    bouncesPercent: percent(counts.failed, processed),
    openPercent: counts.uniqueOpens === undefined ? null : percent(counts.uniqueOpens, counts.delivered),
    clickPercent: counts.uniqueClicks === undefined ? null : percent(counts.uniqueClicks, counts.delivered),
  }
}

/** Totals of several executions, for the recurring delivery that owns them. */
export function addCounts(all: KpiCounts[]): KpiCounts {
  const sum = (pick: (c: KpiCounts) => number | undefined) =>
    !all.length || all.some((c) => pick(c) === undefined)
      ? undefined
      : all.reduce((n, c) => n + (pick(c) ?? 0), 0)
  return {
    toDeliver: sum((c) => c.toDeliver) ?? 0,
    delivered: sum((c) => c.delivered) ?? 0,
    failed: sum((c) => c.failed) ?? 0,
    uniqueOpens: sum((c) => c.uniqueOpens),
    uniqueClicks: sum((c) => c.uniqueClicks),
  }
}
