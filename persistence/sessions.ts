import crypto from 'node:crypto'
import type { Database } from './database'

/**
 * Dashboard sessions on the server: the cookie names a random session id, the database keeps its
 * SHA-256 (a leaked table opens no session), the API token it was opened with, and when it expires.
 * Logging out deletes the row; revoking the token ends its sessions too (the user is looked up by token).
 */

export interface StoredSession {
  id: string
  tokenId: number
  expiresAt: number
}

const hashOf = (id: string) => crypto.createHash('sha256').update(id).digest('hex')

export async function createSession(db: Database, tokenId: number, ttlMs: number): Promise<StoredSession> {
  const now = Date.now()
  // Expired sessions are of no use to anyone: each new login clears them.
  await db
    .knex('dashboard_session')
    .where('expires_at', '<', db.date(new Date(now)))
    .delete()
  const session = { id: crypto.randomBytes(32).toString('base64url'), tokenId, expiresAt: now + ttlMs }
  await db.knex('dashboard_session').insert({
    id_hash: hashOf(session.id),
    token_id: tokenId,
    created_at: db.date(new Date(now)),
    expires_at: db.date(new Date(session.expiresAt)),
  })
  return session
}

/** The session of this id, if it exists and has not expired. */
export async function findSession(db: Database, id: string): Promise<StoredSession | null> {
  const row = await db.knex('dashboard_session').where('id_hash', hashOf(id)).first()
  if (!row) return null
  const expiresAt = new Date(row.expires_at).getTime()
  return expiresAt > Date.now() ? { id, tokenId: Number(row.token_id), expiresAt } : null
}

export async function deleteSession(db: Database, id: string): Promise<void> {
  await db.knex('dashboard_session').where('id_hash', hashOf(id)).delete()
}
