import type { Database } from './database'
import type { Role } from '../domain/roles'
import { hashToken, newToken, sameTokenHash } from '../domain/api-tokens'

export interface UserRow {
  id: number
  name: string
  roles: Role[]
}

/** The user behind an API token, and which token it was. */
export interface TokenUser extends UserRow {
  tokenId: number
}

const rolesOf = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Role[]

/** The user behind an active (not revoked) API token, found by the token's hash or by its id. */
export async function activeTokenUser(
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
  if ('hash' in where && !sameTokenHash(String(row.token_hash), where.hash)) return null
  return {
    id: Number(row.id),
    name: String(row.name),
    roles: rolesOf(row.roles),
    tokenId: Number(row.token_id),
  }
}

export async function createUser(db: Database, name: string, roles: Role[]): Promise<UserRow> {
  const [row] = (await db
    .knex('app_user')
    .insert({ name, roles: JSON.stringify(roles), created_at: db.date(new Date()) })
    .returning(['id'])) as { id: number }[]
  return { id: Number(row.id), name, roles }
}

export async function findUser(db: Database, name: string): Promise<UserRow | null> {
  const row = await db.knex('app_user').where('name', name).first()
  if (!row) return null
  return {
    id: Number(row.id),
    name: row.name,
    roles: rolesOf(row.roles),
  }
}

export async function listUsers(db: Database): Promise<UserRow[]> {
  const rows: Record<string, unknown>[] = await db.knex('app_user').select('*').orderBy('id')
  return rows.map((row) => ({
    id: Number(row.id),
    name: String(row.name),
    roles: rolesOf(row.roles),
  }))
}

export async function userExists(db: Database, userId: number): Promise<boolean> {
  return Boolean(await db.knex('app_user').select('id').where('id', userId).first())
}

/** Issues a token; only its hash is stored, so this is the one time it can be read. */
export async function issueToken(db: Database, userId: number, label: string, token = newToken()) {
  const [row] = (await db
    .knex('api_token')
    .insert({ user_id: userId, token_hash: hashToken(token), label, created_at: db.date(new Date()) })
    .returning(['id'])) as { id: number }[]
  return { id: Number(row.id), token }
}

export async function revokeToken(db: Database, tokenId: number): Promise<boolean> {
  const changed = await db
    .knex('api_token')
    .where('id', tokenId)
    .whereNull('revoked_at')
    .update({ revoked_at: db.date(new Date()) })
  return changed > 0
}
