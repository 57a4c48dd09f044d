import type { AuthUser } from '../domain/auth-user'
import type { Role } from '../domain/roles'
import type { Database } from './database'

/** A user found by one of their API tokens, with the hash stored for that token. */
export type TokenUser = AuthUser & { tokenHash: string }

/** The user behind an active (not revoked) API token, found by the token's hash or by its id. */
export async function findActiveTokenUser(
  db: Database,
  where: { hash: string } | { id: number },
): Promise<TokenUser | null> {
  const query = db
    .knex('api_token as t')
    .join('app_user as u', 'u.id', 't.user_id')
    .select('t.id as token_id', 't.token_hash', 't.revoked_at', 'u.id', 'u.name', 'u.roles')
  const row = await (
    'hash' in where ? query.where('t.token_hash', where.hash) : query.where('t.id', where.id)
  ).first()
  if (!row || row.revoked_at) return null
  const roles = (typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles) as Role[]
  return {
    id: Number(row.id),
    name: String(row.name),
    roles,
    tokenId: Number(row.token_id),
    tokenHash: String(row.token_hash),
  }
}

/** The user of an API token known by its id (a dashboard session), as long as it is not revoked. */
export async function userForTokenId(db: Database, tokenId: number): Promise<AuthUser | null> {
  const found = await findActiveTokenUser(db, { id: tokenId })
  if (!found) return null
  const { tokenHash: _, ...user } = found
  return user
}
