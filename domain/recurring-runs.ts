import type { LogicalStatus } from './delivery-states'

/** The runs of a recurring delivery (SPEC.md "Recurring deliveries"). Pure; the run workflow imports it. */

/**
 * What one run goes through. A run the next one superseded before it started is skipped (missed while
 * no worker ran, or the recurrence was stopped); a run still unconfirmed when the next is due expires;
 * a run sent in waves (recipient time zone) whose recurrence is stopped before a wave is stopped.
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
  'stopped',
] as const
export type RunStatus = (typeof runStatuses)[number]

export const finalRunStatuses: readonly RunStatus[] = ['sent', 'expired', 'skipped', 'failed', 'stopped']

export const runStatusLabels: Record<RunStatus, string> = {
  started: 'Started',
  preparing: 'Preparing',
  waiting_for_confirmation: 'Waiting for confirmation',
  sending: 'Sending',
  sent: 'Sent',
  expired: 'Expired (not confirmed before the next run)',
  skipped: 'Skipped',
  failed: 'Failed',
  stopped: 'Stopped (its later waves were not sent)',
}

/** A recurring delivery as a whole. Pausing lives in the Temporal schedule; the rest in the database. */
export const recurringStatuses = ['active', 'paused', 'stopped', 'finished'] as const
export type RecurringStatus = (typeof recurringStatuses)[number]

export const recurringStatusLabels: Record<RecurringStatus, string> = {
  active: 'Active',
  paused: 'Paused',
  stopped: 'Stopped',
  finished: 'Finished',
}

/** What ops can ask of a recurring delivery, and the statuses each is legal in (anything else: 409). */
export const recurringCommands = ['pause', 'resume', 'trigger', 'stop'] as const
export type RecurringCommand = (typeof recurringCommands)[number]

export const recurringCommandAllowedIn: Record<RecurringCommand, readonly RecurringStatus[]> = {
  pause: ['active'],
  resume: ['paused'],
  trigger: ['active', 'paused', 'finished'],
  stop: ['active', 'paused', 'finished'],
}

/** ACS logical status (the dashboard's colour) of a recurring delivery and of a run. */
export const recurringLogicalStatus: Record<RecurringStatus, LogicalStatus> = {
  active: 'in_progress',
  paused: 'warning',
  stopped: 'warning',
  finished: 'finished',
}

export const runLogicalStatus: Record<RunStatus, LogicalStatus> = {
  started: 'in_progress',
  preparing: 'in_progress',
  // Like a prepared delivery that is ready: it waits for someone.
  waiting_for_confirmation: 'editing',
  sending: 'in_progress',
  sent: 'finished',
  expired: 'warning',
  skipped: 'warning',
  failed: 'error',
  stopped: 'warning',
}
