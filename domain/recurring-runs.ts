/** The runs of a recurring delivery (SPEC.md "Recurring deliveries"). Pure; the run workflow imports it. */

/**
 * What one run goes through. A run the next one superseded before it started is skipped (missed while
 * no worker ran, or the recurrence was stopped); a run still unconfirmed when the next is due expires.
 */
export const runStatuses = [
  'started',
  'preparing',
  'waiting_for_confirmation',
  'sending',
  'sent',
  'expired',
  'skipped',
  'failed',
] as const
export type RunStatus = (typeof runStatuses)[number]

export const finalRunStatuses: readonly RunStatus[] = ['sent', 'expired', 'skipped', 'failed']

export const runStatusLabels: Record<RunStatus, string> = {
  started: 'Started',
  preparing: 'Preparing',
  waiting_for_confirmation: 'Waiting for confirmation',
  sending: 'Sending',
  sent: 'Sent',
  expired: 'Expired (not confirmed before the next run)',
  skipped: 'Skipped',
  failed: 'Failed',
}

/** A recurring delivery as a whole. Pausing lives in the Temporal schedule; the rest in the database. */
export const recurringStatuses = ['active', 'paused', 'stopped', 'finished'] as const
export type RecurringStatus = (typeof recurringStatuses)[number]
