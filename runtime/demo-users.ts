import fs from 'node:fs'
import type { Database } from '../persistence/database'
import { roles, type Role } from '../domain/roles'
import { createUser, findUser, issueToken } from '../persistence/users'
import { hashToken } from '../domain/api-tokens'

/**
 * One demo user per role for the embedded default. Their tokens are kept in plain text in the local
 * data folder so every start prints the same ones; production users get tokens from the admin API.
 */
export async function ensureDemoUsers(db: Database, tokenFile: string): Promise<Record<Role, string>> {
  const saved: Partial<Record<Role, string>> = fs.existsSync(tokenFile)
    ? JSON.parse(fs.readFileSync(tokenFile, 'utf8'))
    : {}
  const tokens = {} as Record<Role, string>
  for (const role of roles) {
    const name = `demo-${role}`
    const user = (await findUser(db, name)) ?? (await createUser(db, name, [role]))
    const known = saved[role]
    const valid =
      known &&
      (await db
        .knex('api_token')
        .where({ token_hash: hashToken(known), revoked_at: null })
        .first())
    tokens[role] = valid ? known : (await issueToken(db, user.id, 'demo')).token
  }
  fs.writeFileSync(tokenFile, JSON.stringify(tokens, null, 2), { mode: 0o600 })
  return tokens
}
