import type { Knex } from '@mikro-orm/knex'
import { likeContaining } from './sql'
import type { Audience, AudienceCondition, FilterValue } from '../domain/audience'
import { attributeKey, profileColumns } from '../domain/audience'
import type { Dialect } from './database'

/**
 * The audience as SQL over `profile p`, for set-based preparation (INSERT … SELECT, never a loop).
 * Values are always bound; attribute keys are checked against a strict pattern before they get here.
 */
export function selectAudience(knex: Knex, dialect: Dialect, audience: Audience): Knex.QueryBuilder {
  const query = knex('profile as p').select(
    'p.id',
    'p.email',
    'p.email_norm',
    'p.email_valid',
    'p.subscribed',
    'p.time_zone',
  )
  if (audience.profileIds?.length) {
    const ids = JSON.stringify(audience.profileIds)
    query.whereRaw(
      dialect === 'postgresql'
        ? 'p.id in (select (jsonb_array_elements_text(?::jsonb))::int)'
        : 'p.id in (select value from json_each(?))',
      [ids],
    )
  }
  for (const condition of audience.filter ?? []) {
    const [sql, bindings] = conditionSql(dialect, condition)
    query.whereRaw(sql, bindings)
  }
  return query
}

function fieldSql(dialect: Dialect, field: string): [string, string[]] {
  const key = attributeKey(field)
  if (key === undefined) {
    // Checked before, at the API and the preparation; a name that is no column never becomes SQL.
    if (!Object.hasOwn(profileColumns, field)) throw new Error(`unknown audience field '${field}'`)
    return [`p.${profileColumns[field]}`, []]
  }
  return dialect === 'postgresql'
    ? ['(p.attributes ->> ?)', [key]]
    : ['cast(json_extract(p.attributes, ?) as text)', [`$."${key}"`]]
}

/** Attribute values compare as text; JSON booleans read back as 'true' in PostgreSQL and '1' in SQLite. */
function textValue(dialect: Dialect, value: FilterValue): string {
  if (typeof value === 'boolean') return dialect === 'postgresql' ? String(value) : value ? '1' : '0'
  return String(value)
}

function conditionSql(dialect: Dialect, condition: AudienceCondition): [string, FilterValue[]] {
  // Addresses match case-insensitively, through their normalised column.
  const field = condition.field === 'email' ? 'emailNorm' : condition.field
  const [column, keyBindings] =
    field === 'emailNorm' ? ['p.email_norm', [] as string[]] : fieldSql(dialect, condition.field)
  const normalise = (v: FilterValue) =>
    field === 'emailNorm' ? String(v).trim().toLowerCase() : textValue(dialect, v)
  const values = Array.isArray(condition.value) ? condition.value : [condition.value ?? '']
  switch (condition.op) {
    case 'eq':
      return [`${column} = ?`, [...keyBindings, normalise(values[0])]]
    case 'neq':
      return [`(${column} is null or ${column} <> ?)`, [...keyBindings, ...keyBindings, normalise(values[0])]]
    case 'in':
      if (values.length === 0) return ['1 = 0', []]
      return [
        `${column} in (${values.map(() => '?').join(', ')})`,
        [...keyBindings, ...values.map(normalise)],
      ]
    case 'contains': {
      const like = dialect === 'postgresql' ? 'ilike' : 'like'
      const pattern = likeContaining(String(values[0]))
      return [`${column} ${like} ? escape '\\'`, [...keyBindings, pattern]]
    }
    case 'exists':
      return [`${column} is not null`, keyBindings]
    case 'not_exists':
      return [`${column} is null`, keyBindings]
  }
}
