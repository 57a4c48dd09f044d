import { categorise, failureTypeOf, type FailureCategory } from './failure-categories'

/**
 * Sending logs: one row per (delivery, profile), the source of truth for what was sent to whom.
 *
 * pending ──claim──▶ sending ──SMTP 250──▶ sent
 *                       │ ├──hard failure (by category)──▶ failed (hard)
 *                       │ ├──soft failure (by category)──▶ retry ──(later)──▶ sending … ; failed (soft) at the end of validity
 *                       │ └──refused before MAIL FROM──▶ pending (certainly not sent)
 *                       └── worker or database lost ──▶ still `sending` when the batch is retried: in doubt,
 *                           resent with the same Message-ID (at-least-once) or left as `in_doubt` (at-most-once)
 */
export const sendingStatuses = ['pending', 'sending', 'sent', 'failed', 'retry', 'in_doubt'] as const
export type SendingStatus = (typeof sendingStatuses)[number]

export const finalSendingStatuses: readonly SendingStatus[] = ['sent', 'failed', 'in_doubt']

export const failureTypes = ['hard', 'soft', 'ignored'] as const
export type FailureType = (typeof failureTypes)[number]

export const deliveryGuarantees = ['at_least_once', 'at_most_once'] as const
export type DeliveryGuarantee = (typeof deliveryGuarantees)[number]

/** What an SMTP attempt tells us about one message. */
export type SmtpOutcome =
  | { kind: 'accepted'; response: string }
  | { kind: 'hard'; code: number; reason: string; category: FailureCategory }
  | { kind: 'soft'; code: number | null; reason: string; category: FailureCategory }
  /** The server could not be reached: the message certainly did not leave. */
  | { kind: 'unreachable'; reason: string }
  /** The connection broke while the message was on its way: it may or may not have been delivered. */
  | { kind: 'unknown'; reason: string }

export interface SmtpErrorLike {
  code?: string
  command?: string
  responseCode?: number
  response?: string
  message?: string
}

/** Failures before any mail transaction began: name resolution, TCP connect, TLS, authentication. */
const beforeTransactionCodes = ['EDNS', 'ETLS', 'EAUTH', 'ENOTFOUND']
const connectFailure = /\bconnect (ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b|greeting/i

/**
 * Only what the server said, or provably never reached it, is certain. A connection that broke without
 * a reply may have broken after the message was accepted: that message is in doubt.
 */
export function classifySmtpError(err: SmtpErrorLike): SmtpOutcome {
  const reason = (err.response || err.message || err.code || 'unknown SMTP error').slice(0, 500)
  const code = err.responseCode
  const refusedAtConnect = err.command === 'CONN' && (Boolean(code) || connectFailure.test(err.message ?? ''))
  // 421: the server is closing the channel — a negative reply about the service, not the recipient.
  if ((err.code && beforeTransactionCodes.includes(err.code)) || refusedAtConnect || code === 421) {
    return { kind: 'unreachable', reason }
  }
  if (code && code >= 400) {
    // Auto-replies arrive as reports, never as an SMTP reply: a reply worded like one is just "other".
    const found = categorise(code, reason)
    const category = found === 'ignored' ? 'other' : found
    return { kind: failureTypeOf(category, code) === 'hard' ? 'hard' : 'soft', code, reason, category }
  }
  return { kind: 'unknown', reason }
}

/**
 * The task queue of the batch activities of workflows on `taskQueue`. Every worker polls it for one batch
 * at a time (its SMTP pool's lanes all serve that batch), so batches spread over the workers as they free
 * up instead of piling up on whichever worker polled first.
 */
export function sendTaskQueue(taskQueue: string): string {
  return `${taskQueue}-send`
}
