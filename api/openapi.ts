import { createRoute, z } from '@hono/zod-openapi'
import type { Right } from '../domain/roles'
import { requireRight } from './auth'
import { ErrorReply } from './schemas'

/** Route helpers: every management route declares the right it needs, checked before validation. */

const errorDescriptions = {
  400: 'Invalid request; the reply names the field',
  401: 'No valid API token',
  403: 'The user lacks the role this needs (the reply names it)',
  404: 'Unknown id',
  409: 'Illegal in the current state',
} as const

type ErrorCode = keyof typeof errorDescriptions

export function errorReplies<C extends ErrorCode>(...codes: C[]) {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: errorDescriptions[code], content: { 'application/json': { schema: ErrorReply } } },
    ]),
  ) as unknown as Record<
    C,
    { description: string; content: { 'application/json': { schema: typeof ErrorReply } } }
  >
}

export const allErrors = errorReplies(400, 401, 403, 404, 409)

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

export const jsonBody = <T extends z.ZodTypeAny>(schema: T, required = true) => ({
  required,
  content: { 'application/json': { schema } },
})

/** A route behind a bearer token and a right; `x-required-right` puts the right in the OpenAPI document. */
export function guardedRoute<R extends Parameters<typeof createRoute>[0]>(
  right: Right,
  action: string,
  config: R,
) {
  return createRoute({
    ...config,
    security: [{ bearer: [] }],
    'x-required-right': right,
    middleware: [requireRight(right, action)],
  })
}
