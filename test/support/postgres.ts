import crypto from 'node:crypto'
import { execSync } from 'node:child_process'
import { knex } from '@mikro-orm/knex'

/** The PostgreSQL server tests use: $HERALD_TEST_POSTGRES_URL, or the local one on 127.0.0.1:5432. */
export const postgresAdminUrl =
  process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(): Promise<boolean> {
  const admin = knex({ client: 'pg', connection: postgresAdminUrl, pool: { min: 0, max: 1 } })
  try {
    await admin.raw('select 1')
    return true
  } catch {
    return false
  } finally {
    await admin.destroy()
  }
}

/** Starts the local cluster if it is down (CI machines come up without it at times). */
export async function ensurePostgres(log: (line: string) => void): Promise<void> {
  if (await reachable()) return
  log('PostgreSQL is not answering on 127.0.0.1:5432; starting the local cluster')
  execSync('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', {
    stdio: 'inherit',
    shell: '/bin/bash',
  })
  for (let i = 0; i < 30; i++) {
    if (await reachable()) return
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  throw new Error(`PostgreSQL unreachable at ${postgresAdminUrl}`)
}

/** A fresh database for one test file; dropped afterwards. */
export async function createPostgresDatabase(
  adminUrl = postgresAdminUrl,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `herald_test_${crypto.randomBytes(6).toString('hex')}`
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
  await admin.raw(`create database ${name}`)
  await admin.destroy()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
      await admin.raw(`drop database if exists ${name} with (force)`)
      await admin.destroy()
    },
  }
}
