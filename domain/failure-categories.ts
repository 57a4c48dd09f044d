import type { FailureType } from './sending'

/**
 * Why a message failed, in the categories Adobe Campaign uses (acs-notes.md "failure reasons"), and what
 * each category does: its failure type and, through the type, its quarantine rule. This table is the
 * only place that decides it; the SMTP reply classification, the bounce webhook, the sending-log filter
 * and the delivery's counts all read it.
 */
export const failureCategories = [
  'user_unknown',
  'invalid_domain',
  'mailbox_full',
  'account_disabled',
  'refused',
  'unreachable',
  'not_connected',
  'ignored',
  'other',
] as const
export type FailureCategory = (typeof failureCategories)[number]

/** `reply`: hard when the reply is permanent (5xx, X.…), soft when transient (4xx) — ACS's "S/H". */
export type CategoryType = FailureType | 'reply'

export const quarantineRules = {
  hard: 'quarantined at once',
  soft: 'counted: quarantined at the 5th error a day apart, reset after 10 quiet days',
  ignored: 'none: not a bounce, never counted',
} as const satisfies Record<FailureType, string>

export interface CategoryRule {
  label: string
  type: CategoryType
  /** What SMTP replies or reports fall in it (the README table prints this). */
  examples: string
}

export const categoryRules: Record<FailureCategory, CategoryRule> = {
  user_unknown: { label: 'User unknown', type: 'hard', examples: '550 5.1.1, 5.1.0, 5.1.3, 5.1.6' },
  invalid_domain: { label: 'Invalid domain', type: 'soft', examples: '5.1.2, 5.1.10 (null MX), 5.4.4' },
  mailbox_full: { label: 'Mailbox full', type: 'soft', examples: '452 4.2.2, 552 5.2.2, 552 (no status)' },
  account_disabled: { label: 'Account disabled', type: 'reply', examples: '5.2.1, 4.2.1' },
  refused: {
    label: 'Refused (policy, spam)',
    type: 'reply',
    examples: '554 5.7.1, X.7.*, "spam", "blocked"',
  },
  unreachable: { label: 'Unreachable', type: 'reply', examples: '4.4.1, 4.4.2, 4.4.7, X.4.*' },
  not_connected: {
    label: 'Not connected',
    type: 'ignored',
    examples: 'the connection broke with the message in flight (in doubt)',
  },
  ignored: { label: 'Ignored', type: 'ignored', examples: 'auto-replies, out of office (reported)' },
  other: { label: 'Other', type: 'reply', examples: 'any other reply, e.g. 451 4.3.0' },
}

/** The failure type a category gives a reply with this basic code (5xx permanent, else transient). */
export function failureTypeOf(category: FailureCategory, code: number | null): FailureType {
  const { type } = categoryRules[category]
  if (type !== 'reply') return type
  return code !== null && code >= 500 ? 'hard' : 'soft'
}

/** By the enhanced status code's subject.detail (RFC 3463 §3), the most precise evidence there is. */
const byStatus: [RegExp, FailureCategory][] = [
  [/^1\.(0|1|3|6)$/, 'user_unknown'],
  [/^1\.(2|10)$/, 'invalid_domain'],
  [/^2\.1$/, 'account_disabled'],
  [/^2\.2$/, 'mailbox_full'],
  [/^4\.4$/, 'invalid_domain'],
  [/^4\.\d+$/, 'unreachable'],
  [/^7\.\d+$/, 'refused'],
]

/** Without an enhanced status code, the words of the reply. */
const byText: [RegExp, FailureCategory][] = [
  [/out of (the )?office|auto-?reply|automatic reply|vacation/i, 'ignored'],
  [/user unknown|no such (user|mailbox)|unknown (user|recipient)|does not exist|not found/i, 'user_unknown'],
  [/(domain|host) (not found|unknown)|no mx|null mx|unrouteable/i, 'invalid_domain'],
  [/mailbox (is )?full|over ?quota|quota exceeded|insufficient storage/i, 'mailbox_full'],
  [/disabled|inactive|suspended|deactivated/i, 'account_disabled'],
  [/spam|blocked|block ?list|black ?list|deny ?list|policy|reputation|rejected/i, 'refused'],
  [/timed? ?out|unreachable|connection refused/i, 'unreachable'],
]

/** The enhanced status code in a reply ("5.1.1" in "550 5.1.1 user unknown"), as subject.detail. */
export function enhancedStatusOf(text: string): { cls: number; subjectDetail: string } | null {
  const match = /(?:^|[\s(#-])([245])\.(\d{1,3})\.(\d{1,3})(?=$|[\s).,;:])/.exec(text)
  return match ? { cls: Number(match[1]), subjectDetail: `${Number(match[2])}.${Number(match[3])}` } : null
}

/** Classifies one failure from its basic reply code (if any) and the reply or report text. */
export function categorise(code: number | null, text: string): FailureCategory {
  const status = enhancedStatusOf(text)
  if (status) {
    const found = byStatus.find(([pattern]) => pattern.test(status.subjectDetail))
    if (found) return found[1]
  }
  const worded = byText.find(([pattern]) => pattern.test(text))
  if (worded) return worded[1]
  if (code === 552) return 'mailbox_full' // RFC 5321: exceeded storage allocation
  if (code === 551 || code === 553) return 'user_unknown' // user not local; mailbox name not allowed
  return 'other'
}
