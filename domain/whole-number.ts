import { z } from 'zod'

/**
 * Ids, page numbers and sizes in URLs. One number has one spelling: canonical decimal digits, with no
 * sign, leading zero, dot, exponent, hex prefix, whitespace or non-ASCII digit. `1.`, `1e0`, `0x1`, ` 1`,
 * `01`, `+1` and `１` all name 1 to a lenient parser (`Number`, `z.coerce`), and a command sent to one of
 * them would run; they are refused instead, in the API and the dashboard alike.
 */
export const maxId = 2_147_483_647

const canonicalDecimal = /^(?:0|[1-9][0-9]*)$/

export const wholeNumberMessage =
  'must be a whole number written in decimal digits only (no sign, leading zero, dot, exponent or space)'

export interface WholeNumberRange {
  min?: number
  max?: number
}

/** A URL parameter's text → the number it spells, refused with a message unless canonical and in range. */
export function wholeNumber({ min = 1, max = maxId }: WholeNumberRange = {}) {
  return z
    .string()
    .max(16, wholeNumberMessage)
    .regex(canonicalDecimal, wholeNumberMessage)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
}

/** The same rule as a plain check: the number, or why not. */
export function parseWholeNumber(
  text: string,
  range: WholeNumberRange = {},
): { ok: true; value: number } | { ok: false; message: string } {
  const parsed = wholeNumber(range).safeParse(text)
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, message: parsed.error.issues[0]?.message ?? wholeNumberMessage }
}
