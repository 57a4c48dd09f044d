/**
 * Which profiles a delivery targets: a static list of profile ids and/or a filter on profile fields
 * and attributes. With both, the filter narrows the list.
 */

export const filterOperators = ['eq', 'neq', 'in', 'contains', 'exists', 'not_exists'] as const
export type FilterOperator = (typeof filterOperators)[number]

export type FilterValue = string | number | boolean

export interface AudienceCondition {
  /** `email`, `firstName`, `lastName`, `timeZone`, `externalId` or `attributes.<key>` */
  field: string
  op: FilterOperator
  value?: FilterValue | FilterValue[]
}

export interface Audience {
  /** Every profile (then narrowed by `filter`, if any). */
  all?: boolean
  profileIds?: number[]
  /** Conditions that must all hold. */
  filter?: AudienceCondition[]
}

export const profileColumns: Record<string, string> = {
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  timeZone: 'time_zone',
  externalId: 'external_id',
}

export const attributeKeyPattern = /^[A-Za-z0-9_-]{1,64}$/

/** `attributes.plan` → `plan`; undefined for a profile column. */
export function attributeKey(field: string): string | undefined {
  return field.startsWith('attributes.') ? field.slice('attributes.'.length) : undefined
}

/**
 * A profile column or `attributes.<key>`. An own-property check: `in` would also accept the names every
 * object inherits (`constructor`, `toString`, `__proto__`), which are no column.
 */
export function isFilterField(field: string): boolean {
  const key = attributeKey(field)
  return key !== undefined ? attributeKeyPattern.test(key) : Object.hasOwn(profileColumns, field)
}

/** Problems with an audience definition, each naming its field; empty when usable. */
export function audienceProblems(audience: Audience): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = []
  if (!audience.all && !audience.profileIds?.length && !audience.filter?.length) {
    problems.push({ field: 'audience', message: 'give profileIds, a filter, or all: true' })
  }
  audience.filter?.forEach((condition, i) => {
    const at = `audience.filter.${i}`
    if (!isFilterField(condition.field)) {
      problems.push({ field: `${at}.field`, message: `unknown field '${condition.field}'` })
    }
    const needsValue = condition.op !== 'exists' && condition.op !== 'not_exists'
    if (needsValue && condition.value === undefined) {
      problems.push({ field: `${at}.value`, message: `operator '${condition.op}' needs a value` })
    }
    if (condition.op === 'in' && !Array.isArray(condition.value)) {
      problems.push({ field: `${at}.value`, message: "operator 'in' needs an array" })
    }
    if (condition.op !== 'in' && Array.isArray(condition.value)) {
      problems.push({ field: `${at}.value`, message: `operator '${condition.op}' needs a single value` })
    }
  })
  return problems
}
