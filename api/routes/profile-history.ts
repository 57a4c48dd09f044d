import { OpenAPIHono } from '@hono/zod-openapi'
import { profileHistory } from '../../persistence/profile-history'
import { getProfile } from '../../persistence/profiles'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { notFound } from '../errors'
import * as m from '../monitoring-schemas'
import { allErrors as errors, json, readRoute } from '../openapi'
import { presentHistoryEntry } from '../presenters/profiles'
import * as s from '../schemas'

const history = readRoute('read profiles', {
  path: '/profiles/{id}/history',
  summary: "A profile's history: every delivery sent to it, with status, dates, opens and clicks",
  request: { params: s.IdParam, query: s.PageQuery },
  reply: json(s.page(m.ProfileHistoryEntry), 'A page of the history, newest first'),
  errors,
})

/** A profile's history (SPEC.md "History and monitoring"): the deliveries sent to it. */
export function profileHistoryRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.openapi(history, async (c) => {
    const { id } = c.req.valid('param')
    const profile = await getProfile(ctx.db, id)
    if (!profile) throw notFound('profile')
    const page = await profileHistory(ctx.db, id, c.req.valid('query'))
    return c.json(
      { ...page, items: page.items.map((entry) => presentHistoryEntry(ctx, profile, entry)) },
      200,
    )
  })
  return app
}
