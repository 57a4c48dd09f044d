import { createRoute, z } from '@hono/zod-openapi'
import { rights, roleLabels, type Right, type Role } from '../domain/roles'
import { requireRight } from './auth'
import { ErrorReply } from './schemas'

/** Route helpers: every management route declares the right it needs, checked before validation. */

const errorDescriptions = {
  400: 'Invalid request; the reply names the field',
  401: 'No valid API token',
  403: 'Refused for this user; the reply names the role they lack',
  404: 'Unknown id',
  409: 'Illegal in the current state',
  413: 'Body larger than 20 MB',
  415: 'A body that is not JSON (Content-Type: application/json)',
  503: 'Temporal or its workers did not answer in time; try again',
} as const

type ErrorCode = keyof typeof errorDescriptions
type ErrorResponse = { description: string; content: { 'application/json': { schema: typeof ErrorReply } } }

export function errorReplies<C extends ErrorCode>(...codes: C[]) {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: errorDescriptions[code], content: { 'application/json': { schema: ErrorReply } } },
    ]),
  ) as unknown as Record<C, ErrorResponse>
}

/** Every error a route can answer; `guardedRoute` already adds those that follow from its shape. */
export const allErrors = errorReplies(400, 401, 403, 404, 409)

/** Errors of a command handed to a delivery's workflow: refused by its state, or Temporal not answering. */
export const workflowErrors = errorReplies(409, 503)

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

export const jsonBody = <T extends z.ZodTypeAny>(schema: T, required = true) => ({
  required,
  content: { 'application/json': { schema } },
})

/** The roles that grant a right, as the OpenAPI document states them (`x-roles` and the description). */
export function rolesFor(right: Right): Role[] {
  return [...rights[right]]
}

type RouteConfig = Parameters<typeof createRoute>[0]

/** 401 and 403 for every guarded route; 400 when it takes input, 404 with an id, 413 and 415 with a body. */
function errorsFromShape(config: RouteConfig): Record<number, ErrorResponse> {
  const request = config.request ?? {}
  const codes: ErrorCode[] = [401, 403]
  if (request.params || request.query || request.body) codes.push(400)
  if (config.path.includes('{')) codes.push(404)
  if (request.body) codes.push(413, 415)
  return errorReplies(...codes)
}

/**
 * A route behind a bearer token and a right. The document states the right (`x-required-right`), the
 * roles that hold it (`x-roles`, and in words in the description) and every error reply.
 */
export function guardedRoute<R extends RouteConfig>(right: Right, action: string, config: R) {
  const roles = rolesFor(right)
  const named = roles.map((role) => `${roleLabels[role]} (\`${role}\`)`).join(', ')
  const tag = config.path.split('/')[1]
  return createRoute({
    ...config,
    tags: config.tags ?? [tag],
    description: [config.description, `**Roles:** ${named}.`].filter(Boolean).join('\n\n'),
    responses: { ...errorsFromShape(config), ...config.responses },
    security: [{ bearer: [] }],
    'x-required-right': right,
    'x-roles': roles,
    middleware: [requireRight(right, action)],
  })
}

type ResponseConfig = RouteConfig['responses'][number]

/**
 * A GET route behind the `read` right that answers 200 with `reply`: the shape most reads share.
 * `errors` adds error replies beyond those that follow from its shape.
 */
export function readRoute<
  C extends {
    path: string
    summary: string
    request?: RouteConfig['request']
    reply: ResponseConfig
    errors?: Record<number, ResponseConfig>
  },
>(action: string, config: C) {
  const { reply, errors, ...rest } = config
  const responses = { 200: reply, ...errors } as { 200: C['reply'] } & NonNullable<C['errors']>
  return guardedRoute('read', action, { ...rest, method: 'get' as const, responses })
}
