/**
 * A delivery's KPIs (SPEC.md "Deployment / KPIs"; ACS "Indicator calculation"):
 * processed = delivered + failed; delivered % and bounces % over processed; open % = unique profiles with
 * any tracking event (open, click, unsubscribe, mirror page — a click implies an open) / delivered;
 * click % = unique profiles who clicked / delivered.
 */

export interface KpiCounts {
  /** Prepared messages ("messages to deliver"). */
  toDeliver: number
  /** Sending logs sent. */
  delivered: number
  /** Sending logs failed for good, in-doubt messages left unsent included. */
  failed: number
  /** Profiles with at least one tracking event. */
  uniqueOpens: number
  /** Profiles with at least one click. */
  uniqueClicks: number
}

export interface Kpis {
  messagesToDeliver: number
  /** "Messages sent": every message with a final outcome. */
  processed: number
  delivered: number
  bounces: number
  opens: number
  clicks: number
  /** Percentages, two decimals. */
  deliveredRate: number
  bounceRate: number
  openRate: number
  clickRate: number
  /** processed / to deliver, in percent. */
  progress: number
}

/** KPIs as last computed (Compute stats) or refreshed (open and click rates), ISO dates. */
export interface StatsFigures {
  kpis: Kpis
  computedAt: string | null
  refreshedAt: string | null
}

/** A ratio as a percentage with two decimals; 0 when there is nothing to divide by. */
export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0
}

export function computeKpis(counts: KpiCounts): Kpis {
  const processed = counts.delivered + counts.failed
  return {
    messagesToDeliver: counts.toDeliver,
    processed,
    delivered: counts.delivered,
    bounces: counts.failed,
    opens: counts.uniqueOpens,
    clicks: counts.uniqueClicks,
    deliveredRate: percent(counts.delivered, processed),
    bounceRate: percent(counts.failed, processed),
    openRate: percent(counts.uniqueOpens, counts.delivered),
    clickRate: percent(counts.uniqueClicks, counts.delivered),
    progress: percent(processed, counts.toDeliver),
  }
}

/** Bounce alerting (ACS: "bounce ratio > 5 %"): true once bounces exceed the ratio of processed messages. */
export function bounceRatioExceeded(counts: Pick<KpiCounts, 'delivered' | 'failed'>, ratio: number): boolean {
  const processed = counts.delivered + counts.failed
  return processed > 0 && counts.failed / processed > ratio
}

/** Totals of several executions, for the recurring delivery that owns them. */
export function addCounts(all: KpiCounts[]): KpiCounts {
  const sum = (pick: (c: KpiCounts) => number) => all.reduce((n, c) => n + pick(c), 0)
  return {
    toDeliver: sum((c) => c.toDeliver),
    delivered: sum((c) => c.delivered),
    failed: sum((c) => c.failed),
    uniqueOpens: sum((c) => c.uniqueOpens),
    uniqueClicks: sum((c) => c.uniqueClicks),
  }
}
