import crypto from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { Database } from '../persistence/database'
import { hasRight, missingRoleMessage, type Right, type Role } from '../domain/roles'
import { forbidden, unauthorized } from './errors'

export interface AuthUser {
  id: number
  name: string
  roles: Role[]
  tokenId: number
}

export type AppEnv = { Variables: { user: AuthUser } }

export const tokenPrefix = 'hrld_'

export function newToken(): string {
  return tokenPrefix + crypto.randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex')
}

/**
 * Compares a stored token hash with the hash of the token presented, in constant time: how long it
 * takes says nothing about how much of it matched. Hashes of another length (never stored) simply differ.
 */
export function sameTokenHash(stored: string, presented: string): boolean {
  const a = Buffer.from(stored)
  const b = Buffer.from(presented)
  if (a.length !== b.length) return false
  return crypto.timingSafeEqual(a, b)
}

/**
 * Requests the dashboard makes in-process for its logged-in user carry that user here, in the request's
 * environment: only code in this process can set it (HTTP requests cannot), and it goes through the
 * same routes, rights and validation as any API call.
 */
export const actingUser = Symbol('herald.actingUser')
export type InProcessEnv = { [actingUser]?: AuthUser }

/** The user behind an active (not revoked) API token, found by the token's hash or by its id. */
async function activeTokenUser(
  db: Database,
  where: { hash: string } | { id: number },
): Promise<AuthUser | null> {
  const query = db
    .knex('api_token as t')
    .join('app_user as u', 'u.id', 't.user_id')
    .select('t.id as token_id', 't.token_hash', 't.revoked_at', 'u.id', 'u.name', 'u.roles')
  const row = await (
    'hash' in where ? query.where('t.token_hash', where.hash) : query.where('t.id', where.id)
  ).first()
  if (!row || row.revoked_at) return null
  if ('hash' in where && !sameTokenHash(String(row.token_hash), where.hash)) return null
  const roles = (typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles) as Role[]
  return { id: Number(row.id), name: String(row.name), roles, tokenId: Number(row.token_id) }
}

/** The user of an API token; tokens are stored hashed and compared in constant time. */
export function userForToken(db: Database, token: string): Promise<AuthUser | null> {
  return activeTokenUser(db, { hash: hashToken(token) })
}

/** The user of an API token known by its id (a dashboard session), as long as it is not revoked. */
export function userForTokenId(db: Database, tokenId: number): Promise<AuthUser | null> {
  return activeTokenUser(db, { id: tokenId })
}

/** Resolves `Authorization: Bearer <token>` to its user. */
export function authenticate(db: Database): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const acting = (c.env as InProcessEnv | undefined)?.[actingUser]
    if (acting) {
      c.set('user', acting)
      return next()
    }
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match) throw unauthorized('an API token is required: Authorization: Bearer <token>')
    const user = await userForToken(db, match[1])
    if (!user) throw unauthorized('this API token is unknown or revoked')
    c.set('user', user)
    await next()
  }
}

/** 403 naming the missing role, e.g. 'You do not have the "Start deliveries" role (start) needed to confirm…'. */
export function requireRight(right: Right, action: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasRight(c.get('user').roles, right)) throw forbidden(missingRoleMessage(right, action))
    await next()
  }
}
