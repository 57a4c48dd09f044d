import { OpenAPIHono, z } from '@hono/zod-openapi'
import { roleLabels } from '../../domain/roles'
import type { AppEnv } from '../auth'
import { conflict, notFound } from '../errors'
import { createUser, findUser, issueToken, listUsers, revokeToken, userExists } from '../../persistence/users'
import * as s from '../schemas'
import { errorReplies, guardedRoute as route, json, jsonBody, readRoute } from '../openapi'
import type { ApiContext } from '../context'

const User = z.object({ id: z.number(), name: z.string(), roles: z.array(z.string()) }).openapi('User')

const me = readRoute('see who you are', {
  path: '/me',
  summary: 'The user behind the token, with their roles',
  reply: json(User.extend({ roleLabels: z.array(z.string()) }), 'You'),
})

const users = route('administer', 'list users', {
  method: 'get',
  path: '/users',
  summary: 'Users and their roles',
  responses: { 200: json(z.object({ items: z.array(User) }), 'Users') },
})

const createUserRoute = route('administer', 'create users', {
  method: 'post',
  path: '/users',
  summary: 'Create a user with roles',
  request: { body: jsonBody(s.UserCreate) },
  responses: { 201: json(User, 'The user'), ...errorReplies(409) },
})

const issueTokenRoute = route('administer', 'issue API tokens', {
  method: 'post',
  path: '/users/{id}/tokens',
  summary: 'Issue an API token (shown once; stored hashed)',
  request: { params: s.IdParam, body: jsonBody(s.TokenCreate, false) },
  responses: { 201: json(z.object({ id: z.number(), token: z.string() }), 'The token') },
})

const revokeTokenRoute = route('administer', 'revoke API tokens', {
  method: 'delete',
  path: '/tokens/{id}',
  summary: 'Revoke an API token',
  request: { params: s.IdParam },
  responses: { 204: { description: 'Revoked' } },
})

/** Users, their roles and their API tokens (SPEC.md "Security"). */
export function userRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })

  app.openapi(me, (c) => {
    const { id, name, roles } = c.get('user')
    return c.json({ id, name, roles, roleLabels: roles.map((r) => roleLabels[r]) }, 200)
  })

  app.openapi(users, async (c) => c.json({ items: await listUsers(ctx.db) }, 200))

  app.openapi(createUserRoute, async (c) => {
    const { name, roles } = c.req.valid('json')
    if (await findUser(ctx.db, name)) throw conflict(`a user named '${name}' exists`, 'duplicate')
    return c.json(await createUser(ctx.db, name, [...new Set(roles)]), 201)
  })

  app.openapi(issueTokenRoute, async (c) => {
    const { id } = c.req.valid('param')
    const label = (c.req.valid('json') as { label?: string } | undefined)?.label ?? 'api'
    if (!(await userExists(ctx.db, id))) throw notFound('user')
    return c.json(await issueToken(ctx.db, id, label), 201)
  })

  app.openapi(revokeTokenRoute, async (c) => {
    if (!(await revokeToken(ctx.db, c.req.valid('param').id))) throw notFound('active token')
    return c.body(null, 204)
  })

  return app
}
