import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../auth'
import { badRequest, notFound } from '../errors'
import { upsertProfiles, listProfiles, getProfile } from '../../persistence/profiles'
import { isValidEmail } from '../../domain/address'
import * as s from '../schemas'
import { guardedRoute as route } from '../openapi'
import type { ApiContext } from '../context'

export function profileRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })

  app.openapi(
    route('editDeliveries', 'import profiles', {
      method: 'post',
      path: '/profiles',
      summary: 'Create or update profiles in bulk (upsert by externalId)',
      request: {
        query: s.ImportQuery,
        body: { required: true, content: { 'application/json': { schema: s.ProfilesImport } } },
      },
      responses: {
        200: {
          description: 'Ids in the order given',
          content: {
            'application/json': {
              schema: z.object({ ids: z.array(z.number()), created: z.number(), updated: z.number() }),
            },
          },
        },
      },
    }),
    async (c) => {
      const { profiles } = c.req.valid('json')
      const { acceptInvalidEmails } = c.req.valid('query')
      const seen = new Set<string>()
      profiles.forEach((profile, i) => {
        if (profile.email && !acceptInvalidEmails && !isValidEmail(profile.email)) {
          throw badRequest(
            `profiles.${i}.email`,
            'not a valid email address (import with acceptInvalidEmails=true to keep it, excluded from deliveries)',
          )
        }
        if (profile.externalId) {
          if (seen.has(profile.externalId))
            throw badRequest(`profiles.${i}.externalId`, 'appears twice in this import')
          seen.add(profile.externalId)
        }
      })
      return c.json(await upsertProfiles(ctx.db, profiles), 200)
    },
  )

  app.openapi(
    route('read', 'read profiles', {
      method: 'get',
      path: '/profiles',
      summary: 'List profiles',
      request: { query: s.PageQuery.extend({ email: z.string().max(320).optional() }) },
      responses: {
        200: {
          description: 'A page of profiles',
          content: { 'application/json': { schema: s.page(s.Profile) } },
        },
      },
    }),
    async (c) => c.json(await listProfiles(ctx.db, c.req.valid('query')), 200),
  )

  app.openapi(
    route('read', 'read profiles', {
      method: 'get',
      path: '/profiles/{id}',
      summary: 'One profile',
      request: { params: s.IdParam },
      responses: {
        200: { description: 'The profile', content: { 'application/json': { schema: s.Profile } } },
      },
    }),
    async (c) => {
      const profile = await getProfile(ctx.db, c.req.valid('param').id)
      if (!profile) throw notFound('profile')
      return c.json(profile, 200)
    },
  )

  return app
}
