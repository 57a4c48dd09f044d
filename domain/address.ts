import { z } from 'zod'

/** Email addresses: normalisation (case-insensitive match) and syntax, in one place. */

const emailSyntax = z.email()

export function normaliseEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim()
  return trimmed ? trimmed.toLowerCase() : null
}

export function isValidEmail(email: string): boolean {
  return emailSyntax.safeParse(email.trim()).success
}

/** Header injection: no control characters in anything that becomes a header. */
export function hasControlCharacters(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text)
}

export const addressStatuses = ['valid', 'erroneous', 'quarantined', 'denylisted'] as const
export type AddressStatus = (typeof addressStatuses)[number]
