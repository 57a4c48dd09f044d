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

/** Resolves `Authorization: Bearer <token>` to its user; tokens are stored hashed and compared in constant time. */
export function authenticate(db: Database): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match) throw unauthorized('an API token is required: Authorization: Bearer <token>')
    const hash = hashToken(match[1])
    const row = await db
      .knex('api_token as t')
      .join('app_user as u', 'u.id', 't.user_id')
      .select('t.id as token_id', 't.token_hash', 't.revoked_at', 'u.id', 'u.name', 'u.roles')
      .where('t.token_hash', hash)
      .first()
    const known =
      row && crypto.timingSafeEqual(Buffer.from(String(row.token_hash), 'hex'), Buffer.from(hash, 'hex'))
    if (!known || row.revoked_at) throw unauthorized('this API token is unknown or revoked')
    const roles = (typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles) as Role[]
    c.set('user', { id: Number(row.id), name: String(row.name), roles, tokenId: Number(row.token_id) })
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
