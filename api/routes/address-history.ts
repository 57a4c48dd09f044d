import { OpenAPIHono, z } from '@hono/zod-openapi'
import { addressStatuses } from '../../domain/address'
import { addressHistory, findAddress } from '../../persistence/address-status'
import { notFound } from '../errors'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import * as m from '../monitoring-schemas'
import { guardedRoute as route, json } from '../openapi'

const AddressChange = z
  .object({
    status: z.enum(addressStatuses),
    previousStatus: z.enum(addressStatuses).nullable(),
    reason: z.string().nullable(),
    actor: z
      .string()
      .openapi({ description: 'The user who released it, or bounces, unsubscribe link, retention' }),
    at: z.string(),
  })
  .openapi('AddressChange')

/** An address's history: every change of its status (quarantine, denylist, release), newest first. */
export function addressHistoryRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.openapi(
    route('administer', 'read address statuses', {
      method: 'get',
      path: '/addresses/{email}/history',
      summary:
        "An address's history: each change of its status, why and by whom (newest first, 1,000 at most)",
      request: { params: m.EmailParam },
      responses: { 200: json(z.object({ items: z.array(AddressChange) }), 'The changes') },
    }),
    async (c) => {
      const { email } = c.req.valid('param')
      const items = await addressHistory(ctx.db, email)
      if (items.length === 0 && !(await findAddress(ctx.db, email))) throw notFound(`address ${email}`)
      return c.json({ items }, 200)
    },
  )
  return app
}
