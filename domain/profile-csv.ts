import { attributeKeyPattern } from './audience'
import { hasControlCharacters, isValidEmail, normaliseEmail } from './address'
import { isTimeZone } from './schedule'

/**
 * The CSV profile import's rules (README "Importing profiles from CSV"): which column is which field,
 * and what makes a row acceptable. Pure, shared by the API route and its tests.
 */

export const profileFields = [
  'externalId',
  'email',
  'firstName',
  'lastName',
  'timeZone',
  'subscribed',
] as const
export type ProfileField = (typeof profileFields)[number]

export type ColumnTarget = { field: ProfileField } | { attribute: string }

/** `external_id`, `External ID`, `externalid` all name externalId: case, spaces, `_` and `-` do not count. */
const squash = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '')
const fieldBySquashedName = new Map<string, ProfileField>(profileFields.map((f) => [squash(f), f]))

export class CsvHeaderError extends Error {
  constructor(
    readonly column: string,
    message: string,
  ) {
    super(message)
  }
}

/** The header row, column by column; refuses a header that no import could mean (400 naming the column). */
export function mapHeader(header: string[]): ColumnTarget[] {
  const seen = new Set<string>()
  const targets = header.map((raw, i): ColumnTarget => {
    const name = raw.trim()
    const column = `column ${i + 1}${name ? ` (${name.slice(0, 64)})` : ''}`
    if (!name) throw new CsvHeaderError(column, 'has no name in the header row')
    const field = fieldBySquashedName.get(squash(name))
    const target: ColumnTarget = field ? { field } : { attribute: name.replace(/^attributes\./i, '') }
    const key = 'field' in target ? target.field : `attributes.${target.attribute}`
    if ('attribute' in target && !attributeKeyPattern.test(target.attribute))
      throw new CsvHeaderError(
        column,
        'is not a profile field (externalId, email, firstName, lastName, timeZone, subscribed) nor an attribute name (letters, digits, _ and -, 64 at most)',
      )
    if (seen.has(key)) throw new CsvHeaderError(column, `names ${key} a second time`)
    seen.add(key)
    return target
  })
  if (!seen.has('externalId') && !seen.has('email'))
    throw new CsvHeaderError('the header row', 'needs an externalId or an email column')
  return targets
}

/** A row ready to stage: null where the cell was empty (an update keeps the profile's value). */
export interface ProfileRow {
  externalId: string | null
  email: string | null
  emailNorm: string | null
  firstName: string | null
  lastName: string | null
  timeZone: string | null
  subscribed: boolean | null
  attributes: Record<string, string> | null
}

const limits: Record<Exclude<ProfileField, 'subscribed'>, number> = {
  externalId: 255,
  email: 320,
  firstName: 255,
  lastName: 255,
  timeZone: 64,
}

/** Luxon checks a zone in about 50 µs, as long as the rest of a row: a file names few zones, so remember them. */
const knownZones = new Map<string, boolean>()
function isKnownTimeZone(name: string): boolean {
  let valid = knownZones.get(name)
  if (valid === undefined) {
    valid = isTimeZone(name)
    if (knownZones.size < 10_000) knownZones.set(name, valid)
  }
  return valid
}

const yes = new Set(['true', 'yes', '1', 'y'])
const no = new Set(['false', 'no', '0', 'n'])

/** One record against the header: the row, or why it is rejected. */
export function readProfileRow(targets: ColumnTarget[], cells: string[]): ProfileRow | { reason: string } {
  if (cells.length !== targets.length)
    return { reason: `has ${cells.length} fields where the header has ${targets.length}` }
  const row: ProfileRow = {
    externalId: null,
    email: null,
    emailNorm: null,
    firstName: null,
    lastName: null,
    timeZone: null,
    subscribed: null,
    attributes: null,
  }
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]
    const value = cells[i].trim()
    if (value === '') continue
    if ('attribute' in target) {
      if (value.length > 10_000)
        return { reason: `attributes.${target.attribute}: longer than 10,000 characters` }
      ;(row.attributes ??= {})[target.attribute] = value
      continue
    }
    const problem = setField(row, target.field, value)
    if (problem) return { reason: problem }
  }
  if (!row.externalId && !row.email) return { reason: 'has neither an externalId nor an email' }
  return row
}

function setField(row: ProfileRow, field: ProfileField, value: string): string | null {
  if (field === 'subscribed') {
    const lower = value.toLowerCase()
    if (!yes.has(lower) && !no.has(lower)) return 'subscribed: not true or false'
    row.subscribed = yes.has(lower)
    return null
  }
  if (value.length > limits[field]) return `${field}: longer than ${limits[field]} characters`
  if (hasControlCharacters(value))
    return `${field}: control characters (a line break?) in a single-line field`
  if (field === 'email') {
    if (!isValidEmail(value)) return 'email: invalid address'
    row.emailNorm = normaliseEmail(value)
  }
  if (field === 'timeZone' && !isKnownTimeZone(value))
    return 'timeZone: not an IANA time zone such as Europe/Paris'
  row[field] = value
  return null
}
