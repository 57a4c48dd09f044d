import type { AddressStatus } from './address'

/**
 * What bounces and complaints do to an address (SPEC.md "Tracking, bounces, quarantine"; ACS quarantine
 * rules): a hard bounce quarantines at once; soft bounces count, and the address is quarantined at the
 * 5th *significant* error — errors at least a day apart — with the counter reset after 10 days without
 * errors; a spam complaint or an unsubscribe denylists it; a successful send clears "erroneous".
 * Quarantined and denylisted addresses are excluded at preparation. Only an administrator releases them.
 */

export interface QuarantineRules {
  /** The significant soft error that quarantines the address. */
  maxErrors: number
  /** Soft errors closer together than this count once. */
  significantGapMs: number
  /** After this long without a significant error the counter starts again. */
  resetAfterMs: number
}

const day = 24 * 3600_000

export const defaultQuarantineRules: QuarantineRules = {
  maxErrors: 5,
  significantGapMs: day,
  resetAfterMs: 10 * day,
}

export interface AddressRecord {
  status: AddressStatus
  errorCount: number
  /** epoch ms of the last significant error */
  lastErrorAt: number | null
  /** why the address has its status (the last error, or the complaint or unsubscribe) */
  lastErrorReason: string | null
}

export type AddressEvent =
  | { kind: 'hard'; reason: string; at: number }
  | { kind: 'soft'; reason: string; at: number }
  | { kind: 'complaint'; reason?: string; at: number }
  | { kind: 'unsubscribe'; at: number }
  | { kind: 'success'; at: number }

export const validAddress: AddressRecord = {
  status: 'valid',
  errorCount: 0,
  lastErrorAt: null,
  lastErrorReason: null,
}

/** The counter as it stands at `now`: zero once the reset period has passed since the last error. */
export function effectiveErrorCount(record: AddressRecord, now: number, rules: QuarantineRules): number {
  if (record.lastErrorAt === null || now - record.lastErrorAt >= rules.resetAfterMs) return 0
  return record.errorCount
}

export function applyAddressEvent(
  current: AddressRecord | null,
  event: AddressEvent,
  rules: QuarantineRules = defaultQuarantineRules,
): AddressRecord {
  const record = current ?? validAddress
  if (record.status === 'denylisted') return record
  switch (event.kind) {
    case 'complaint':
      return { ...record, status: 'denylisted', lastErrorReason: event.reason ?? 'spam complaint' }
    case 'unsubscribe':
      return { ...record, status: 'denylisted', lastErrorReason: 'unsubscribed' }
    case 'success':
      return record.status === 'erroneous' ? { ...record, status: 'valid', errorCount: 0 } : record
    case 'hard':
      return {
        status: 'quarantined',
        errorCount: record.errorCount + 1,
        lastErrorAt: event.at,
        lastErrorReason: event.reason,
      }
    case 'soft':
      return softError(record, event, rules)
  }
}

function softError(
  record: AddressRecord,
  event: { reason: string; at: number },
  rules: QuarantineRules,
): AddressRecord {
  if (record.status === 'quarantined') return record
  const count = effectiveErrorCount(record, event.at, rules)
  const significant = count === 0 || event.at - (record.lastErrorAt ?? 0) >= rules.significantGapMs
  if (!significant) return { ...record, lastErrorReason: event.reason }
  const errorCount = count + 1
  return {
    status: errorCount >= rules.maxErrors ? 'quarantined' : 'erroneous',
    errorCount,
    lastErrorAt: event.at,
    lastErrorReason: event.reason,
  }
}
