import type { Knex } from '@mikro-orm/knex'

/**
 * A LIKE pattern matching values that contain `text` as typed: its `%`, `_` and `\` are escaped with
 * `\`, so the query must say `escape '\'` (MikroORM's `$like` on SQLite and PostgreSQL reads `\` so).
 */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
}

export interface PageRequest {
  page: number
  pageSize: number
}

/** One page of a query's rows in the given order, and how many rows the whole query has. */
export async function pageOf<Row = Record<string, unknown>>(
  query: Knex.QueryBuilder,
  select: string | string[],
  orderBy: string,
  { page, pageSize }: PageRequest,
): Promise<{ rows: Row[]; total: number }> {
  const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
  const rows = (await query
    .select(select)
    .orderBy(orderBy)
    .limit(pageSize)
    .offset((page - 1) * pageSize)) as Row[]
  return { rows, total: Number(total) }
}
