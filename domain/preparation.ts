import type { ExclusionReason } from './exclusions'
import { exclusionLabels } from './exclusions'
import { templateProblems } from './personalisation'
import { hasControlCharacters } from './address'
import type { Wave } from './waves'

export interface PreparationMessage {
  severity: 'critical' | 'warning'
  message: string
}

export interface PreparationReport {
  preparedAt: string
  target: number
  toDeliver: number
  excluded: Partial<Record<ExclusionReason, number>>
  messages: PreparationMessage[]
  batches: number
  /** Sent at each recipient's local time: the waves, earliest first. */
  waves?: Wave[]
}

export interface DeliveryContent {
  subject: string
  html?: string | null
  text?: string | null
}

/** Content problems found at preparation; critical ones block the send (ACS: red preparation logs). */
export function contentProblems(content: DeliveryContent): PreparationMessage[] {
  const critical = (message: string): PreparationMessage => ({ severity: 'critical', message })
  const problems: PreparationMessage[] = []
  if (!content.subject.trim()) problems.push(critical('the subject is empty'))
  if (hasControlCharacters(content.subject)) problems.push(critical('the subject contains a line break'))
  if (!content.html?.trim() && !content.text?.trim()) problems.push(critical('the message has no body'))
  const parts: [string, string | null | undefined][] = [
    ['subject', content.subject],
    ['HTML body', content.html],
    ['text body', content.text],
  ]
  for (const [part, template] of parts) {
    if (template) problems.push(...templateProblems(template).map((p) => critical(`${part}: ${p}`)))
  }
  return problems
}

/** The whole report once the target is known. */
export function preparationMessages(
  content: DeliveryContent,
  counts: { target: number; toDeliver: number; excluded: Partial<Record<ExclusionReason, number>> },
): PreparationMessage[] {
  const messages = contentProblems(content)
  if (counts.target === 0) messages.push({ severity: 'critical', message: 'the audience is empty' })
  else if (counts.toDeliver === 0) {
    messages.push({
      severity: 'critical',
      message: 'every targeted profile was excluded: nothing to deliver',
    })
  }
  for (const [reason, count] of Object.entries(counts.excluded)) {
    if (count) {
      messages.push({
        severity: 'warning',
        message: `${count} excluded: ${exclusionLabels[reason as ExclusionReason]}`,
      })
    }
  }
  return messages
}

export function hasCriticalProblem(messages: PreparationMessage[]): boolean {
  return messages.some((m) => m.severity === 'critical')
}
