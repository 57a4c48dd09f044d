import { loadConfig } from '../config/env'
import { openDatabase, waitForMigrations } from '../persistence/database'
import { createUser, findUser, issueToken } from '../persistence/users'

/**
 * The first administrator of a Herald that has no demo users (production): prints a new API token for
 * the user named on the command line, created with the admin role if it does not exist. The token is
 * shown this once; the database keeps only its hash.
 *
 *   docker compose exec api node --import tsx scripts/create-admin.ts ops
 */
async function run(name = process.argv[2] ?? 'admin') {
  const db = await openDatabase(loadConfig().databaseUrl, { migrate: false })
  try {
    await waitForMigrations(db, (line) => console.error(line))
    const user = (await findUser(db, name)) ?? (await createUser(db, name, ['admin']))
    if (!user.roles.includes('admin')) throw new Error(`user '${name}' exists without the admin role`)
    console.log((await issueToken(db, user.id, 'create-admin')).token)
  } finally {
    await db.close()
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
