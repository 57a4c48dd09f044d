import type { MiddlewareHandler } from 'hono'
import type { Database } from '../persistence/database'
import { hasRight, missingRoleMessage, type Right } from '../domain/roles'
import { hashToken, sameTokenHash } from '../domain/api-tokens'
import type { AuthUser } from '../domain/auth-user'
import { findActiveTokenUser } from '../persistence/token-users'
import { forbidden, unauthorized } from './errors'

export type { AuthUser }

export type AppEnv = { Variables: { user: AuthUser } }

/**
 * Requests the dashboard makes in-process for its logged-in user carry that user here, in the request's
 * environment: only code in this process can set it (HTTP requests cannot), and it goes through the
 * same routes, rights and validation as any API call.
 */
export const actingUser = Symbol('herald.actingUser')
export type InProcessEnv = { [actingUser]?: AuthUser }

/** The user of an API token; tokens are stored hashed and compared in constant time. */
export async function userForToken(db: Database, token: string): Promise<AuthUser | null> {
  const hash = hashToken(token)
  const found = await findActiveTokenUser(db, { hash })
  if (!found || !sameTokenHash(found.tokenHash, hash)) return null
  const { tokenHash: _, ...user } = found
  return user
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
