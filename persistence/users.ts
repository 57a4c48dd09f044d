import type { Database } from './database'
import type { Role } from '../domain/roles'
import { hashToken, newToken } from '../domain/api-tokens'

export interface UserRow {
  id: number
  name: string
  roles: Role[]
}

const rolesOf = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Role[]

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
