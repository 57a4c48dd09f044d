import path from 'node:path'
import { MikroORM, type Options } from '@mikro-orm/core'
import type { AbstractSqlDriver, EntityManager, Knex } from '@mikro-orm/knex'
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite'
import { PostgreSqlDriver } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import { entities } from './entities'
import { trackingEntities } from './tracking-entities'
import { webhookEntities } from './webhook-entities'
import { Proof } from './proof-entities'
import { importRetentionEntities } from './import-entities'
import { migrations } from './migrations'

export type Dialect = 'sqlite' | 'postgresql'

/** One connection pool plus what the hand-written SQL of hot paths needs to know about it. */
export interface Database {
  readonly orm: MikroORM<AbstractSqlDriver>
  readonly dialect: Dialect
  readonly knex: Knex
  /** A fresh unit of work; never share one between requests or activities. */
  em(): EntityManager
  /** Dates as this database's driver binds them in raw queries. */
  date(value: Date): Date | number
  close(): Promise<void>
}

export interface DatabaseLocation {
  dialect: Dialect
  /** file name for SQLite, connection URL for PostgreSQL */
  target: string
}

/** `sqlite:data/herald.sqlite`, `sqlite::memory:`, `postgres://user@host:5432/db` */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return { dialect: 'postgresql', target: url }
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    return { dialect: 'sqlite', target: file === ':memory:' ? file : path.resolve(file) }
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got '${url.split(':')[0]}:')`)
}

function ormOptions(location: DatabaseLocation, debug: boolean): Options<AbstractSqlDriver> {
  const common = {
    entities: [...entities, ...trackingEntities, ...webhookEntities, Proof, ...importRetentionEntities],
    debug,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    extensions: [Migrator],
    migrations: {
      migrationsList: migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  }
  if (location.dialect === 'postgresql') {
    return { ...common, driver: PostgreSqlDriver, clientUrl: location.target, pool: { min: 1, max: 10 } }
  }
  return {
    ...common,
    driver: BetterSqliteDriver,
    dbName: location.target,
    pool: {
      min: 1,
      max: 1,
      // WAL lets the API, the worker and a second process read while one writes; NORMAL sync is
      // durable across process crashes (not power loss), which is what the sending log needs.
      afterCreate: (
        conn: { pragma(sql: string): unknown },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        conn.pragma('journal_mode = WAL')
        conn.pragma('synchronous = NORMAL')
        conn.pragma('busy_timeout = 10000')
        conn.pragma('foreign_keys = ON')
        done(null, conn)
      },
    },
  }
}

export async function openDatabase(
  url: string,
  options: { migrate?: boolean; debug?: boolean } = {},
): Promise<Database> {
  const location = parseDatabaseUrl(url)
  const orm = await MikroORM.init<AbstractSqlDriver>(ormOptions(location, options.debug ?? false))
  if (options.migrate ?? true) await orm.getMigrator().up()
  const knex = orm.em.getKnex()
  return {
    orm,
    dialect: location.dialect,
    knex,
    em: () => orm.em.fork() as EntityManager,
    date: location.dialect === 'sqlite' ? (value) => value.getTime() : (value) => value,
    close: () => orm.close(true),
  }
}

/** For processes that must not migrate (workers): wait until the API has applied every migration. */
export async function waitForMigrations(
  db: Database,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  for (let waited = 0; ; waited += 2) {
    const pending = await db.orm.getMigrator().getPendingMigrations()
    if (pending.length === 0) return
    if (waited % 30 === 0)
      log(`waiting for ${pending.length} database migration(s) to be applied by the API…`)
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
}
