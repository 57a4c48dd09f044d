import type { z } from '@hono/zod-openapi'
import { audienceProblems } from '../domain/audience'
import { aggregationProblems, recipientTimeZoneProblems, recurrenceProblems } from '../domain/recurrence'
import { hasRight, missingRoleMessage } from '../domain/roles'
import { namesOffset, parseContactDate } from '../domain/schedule'
import type { ApprovalPolicy, HeraldConfig } from '../config/env'
import type { RecurringCreate } from './recurring-schemas'
import type { AuthUser } from './auth'
import { badRequest, forbidden } from './errors'

/** Checks of a request's content beyond its schema, each a 400 (or 403) naming the field. */

/** A contact date (local to the time zone, if given) as epoch ms; null when there is none. */
export function contactDateFrom(
  value: string | null | undefined,
  timeZone: string | null | undefined,
  field: string,
): number | null {
  if (!value) return null
  try {
    return parseContactDate(value, timeZone)
  } catch (err) {
    throw badRequest(field, (err as Error).message)
  }
}

/**
 * A contact date read in each recipient's time zone is a wall-clock time ("2026-12-01T09:00"): without
 * it there are no waves to plan, and with an offset it would name one instant for everyone.
 */
export function checkRecipientTimeZone(
  recipientTimeZone: boolean | undefined,
  contactDate: string | null | undefined,
): void {
  if (!recipientTimeZone) return
  if (!contactDate)
    throw badRequest(
      'recipientTimeZone',
      'sending at each recipient’s local time needs a contactDate (a wall-clock time such as 2026-12-01T09:00)',
    )
  if (namesOffset(contactDate))
    throw badRequest(
      'contactDate',
      'with recipientTimeZone the contact date is a wall-clock time without an offset, such as 2026-12-01T09:00',
    )
}

export function checkAudience(audience: Parameters<typeof audienceProblems>[0]): void {
  const [problem] = audienceProblems(audience)
  if (problem) throw badRequest(problem.field, problem.message)
}

/**
 * Approval is skipped only where the installation allows it (HERALD_APPROVAL=optional) and by a creator
 * who may approve: otherwise the author alone could prepare and send to everyone.
 */
export function checkApprovalSkip(
  requireApproval: boolean | undefined,
  policy: ApprovalPolicy,
  user: AuthUser,
): void {
  if (requireApproval !== false) return
  if (policy === 'always') {
    throw badRequest(
      'requireApproval',
      'this installation requires the approval of every delivery (HERALD_APPROVAL=always)',
    )
  }
  if (!hasRight(user.roles, 'skipApproval'))
    throw forbidden(missingRoleMessage('skipApproval', 'create a delivery that needs no approval'))
}

/**
 * The fields of a new recurring delivery, once its audience, aggregation and recurrence are checked.
 * Without a confirmation before each send, the recurrence sends on its own: that takes the start role.
 */
export function recurringFields(
  input: z.infer<typeof RecurringCreate>,
  config: Pick<HeraldConfig, 'minRecurrenceMs' | 'defaultGuarantee'>,
  user: AuthUser,
): Record<string, unknown> {
  const { recurrence, ...content } = input
  const startsAt = contactDateFrom(recurrence.startsAt, recurrence.timeZone, 'recurrence.startsAt')
  const endsAt = contactDateFrom(recurrence.endsAt, recurrence.timeZone, 'recurrence.endsAt')
  // Runs happen on whole seconds; the first interval run is at the start.
  const start = startsAt === null ? null : Math.ceil(startsAt / 1000) * 1000
  const [problem] = [
    ...audienceProblems(input.audience),
    ...aggregationProblems(input.aggregation, input.confirmBeforeEachSend),
    ...recurrenceProblems(
      { ...recurrence, intervalMs: recurrence.every, startsAt: start, endsAt },
      config.minRecurrenceMs,
      Date.now(),
    ),
    ...recipientTimeZoneProblems(input.recipientTimeZone ?? false, {
      cron: recurrence.cron,
      intervalMs: recurrence.every,
    }),
  ]
  if (problem) throw badRequest(problem.field, problem.message)
  if (!input.confirmBeforeEachSend && !hasRight(user.roles, 'startDeliveries')) {
    throw forbidden(
      missingRoleMessage(
        'startDeliveries',
        'create a recurring delivery that sends without a confirmation before each run',
      ),
    )
  }
  return {
    ...content,
    guarantee: input.guarantee ?? config.defaultGuarantee,
    cron: recurrence.cron?.trim() || null,
    intervalMs: recurrence.every ?? null,
    timeZone: recurrence.timeZone,
    recipientTimeZone: input.recipientTimeZone ?? false,
    startsAt: start === null ? null : new Date(start),
    endsAt: endsAt === null ? null : new Date(endsAt),
  }
}
