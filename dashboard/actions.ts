import type { DeliveryAction } from './deployment'
import type { RecurringCommand } from '../domain/recurring-runs'

/** What each dashboard action tells the user once the API has accepted it. */
export const doneMessages: Record<DeliveryAction, string> = {
  prepare: 'Preparation started.',
  approve: 'Approved: the delivery is ready to send.',
  reject: 'Rejected: the delivery is back in draft.',
  confirm: 'Send confirmed.',
  schedule: 'Schedule saved.',
  pause: 'Paused.',
  resume: 'Resumed.',
  stop: 'Stopped.',
  'compute-stats': 'Stats computed from the logs.',
}

/** The API body of an action, from its form; the API validates it (and names a bad field). */
export function actionBody(action: DeliveryAction, form: Record<string, unknown>): object {
  const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '')
  switch (action) {
    case 'confirm': {
      const count = field('expectedMessages')
      return { expectedMessages: /^\d+$/.test(count) ? Number(count) : count }
    }
    case 'reject':
      return { reason: field('reason') }
    case 'schedule':
      return { contactDate: field('contactDate') || null, timeZone: field('timeZone') || null }
    default:
      return {}
  }
}

/** What each recurring delivery action tells the user once the API has accepted it. */
export const recurringDoneMessages: Record<RecurringCommand, string> = {
  pause: 'Paused: no run starts until it is resumed.',
  resume: 'Resumed: runs start again at the next occurrence.',
  trigger: 'Triggered: a run starts now.',
  stop: 'Stopped: the schedule is deleted.',
}
