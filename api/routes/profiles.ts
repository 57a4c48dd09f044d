import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../auth'
import { badRequest, notFound } from '../errors'
import { upsertProfiles, listProfiles, getProfile } from '../../persistence/profiles'
import { isValidEmail } from '../../domain/address'
import * as s from '../schemas'
import { guardedRoute as route, json, jsonBody, readRoute } from '../openapi'
import type { ApiContext } from '../context'

const importProfiles = route('editDeliveries', 'import profiles', {
  method: 'post',
  path: '/profiles',
  summary: 'Create or update profiles in bulk (upsert by externalId)',
  request: { query: s.ImportQuery, body: jsonBody(s.ProfilesImport) },
  responses: {
    200: json(
      z.object({ ids: z.array(z.number()), created: z.number(), updated: z.number() }),
      'Ids in the order given',
    ),
  },
})

const profiles = readRoute('read profiles', {
  path: '/profiles',
  summary: 'List profiles',
  request: { query: s.PageQuery.extend({ email: z.string().max(320).optional() }) },
  reply: json(s.page(s.Profile), 'A page of profiles'),
})

const profile = readRoute('read profiles', {
  path: '/profiles/{id}',
  summary: 'One profile',
  request: { params: s.IdParam },
  reply: json(s.Profile, 'The profile'),
})

type ProfileImport = z.infer<typeof s.ProfilesImport>['profiles']

/** 400 naming the first profile whose address is invalid (unless accepted) or whose externalId repeats. */
function checkImport(profiles: ProfileImport, acceptInvalidEmails: boolean | undefined): void {
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
}

/** Profiles (SPEC.md "Profiles"): bulk import by externalId, list, read. */
export function profileRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })

  app.openapi(importProfiles, async (c) => {
    const { profiles } = c.req.valid('json')
    checkImport(profiles, c.req.valid('query').acceptInvalidEmails)
    return c.json(await upsertProfiles(ctx.db, profiles), 200)
  })

  app.openapi(profiles, async (c) => c.json(await listProfiles(ctx.db, c.req.valid('query')), 200))

  app.openapi(profile, async (c) => {
    const found = await getProfile(ctx.db, c.req.valid('param').id)
    if (!found) throw notFound('profile')
    return c.json(found, 200)
  })

  return app
}
