import type { Database } from './database'

/**
 * The database driver itself, for the few statements run per message or per hit: a connection from the
 * pool, statements prepared once per connection (SQLite) or named (PostgreSQL). Query building on every
 * call would cost more CPU than the work it describes.
 */

interface Pool {
  acquireConnection(): Promise<unknown>
  releaseConnection(connection: unknown): Promise<void> | void
}

export interface SqliteStatement {
  reader: boolean
  run(...args: unknown[]): { changes: number }
  all(...args: unknown[]): Record<string, unknown>[]
}

export interface SqliteConnection {
  prepare(sql: string): SqliteStatement
  transaction<T>(fn: () => T): () => T
}

export interface PostgresConnection {
  query(config: {
    name: string
    text: string
    values: unknown[]
  }): Promise<{ rows: Record<string, unknown>[] }>
}

export async function withDriverConnection<T>(
  db: Database,
  fn: (connection: unknown) => T | Promise<T>,
): Promise<T> {
  const pool = db.knex.client as unknown as Pool
  const connection = await pool.acquireConnection()
  try {
    return await fn(connection)
  } finally {
    await pool.releaseConnection(connection)
  }
}

const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>()

/** A SQLite statement prepared once for this connection. */
export function sqliteStatement(connection: SqliteConnection, sql: string): SqliteStatement {
  let statements = sqliteStatements.get(connection)
  if (!statements) sqliteStatements.set(connection, (statements = new Map()))
  let statement = statements.get(sql)
  if (!statement) statements.set(sql, (statement = connection.prepare(sql)))
  return statement
}

/** One fixed statement, with `?` placeholders for SQLite and `$n` for PostgreSQL; returns its rows. */
export function preparedQuery(
  db: Database,
  query: { name: string; sqlite: string; postgres: string },
): (params: unknown[]) => Promise<Record<string, unknown>[]> {
  if (db.dialect === 'postgresql') {
    return (params) =>
      withDriverConnection(db, async (connection) => {
        const result = await (connection as PostgresConnection).query({
          name: query.name,
          text: query.postgres,
          values: params,
        })
        return result.rows
      })
  }
  return (params) =>
    withDriverConnection(db, (connection) => {
      const statement = sqliteStatement(connection as SqliteConnection, query.sqlite)
      if (statement.reader) return statement.all(...params)
      statement.run(...params)
      return []
    })
}
