import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError } from 'zod'
import {
  WorkflowUpdateFailedError,
  WorkflowNotFoundError,
  isGrpcServiceError,
  ServiceError,
} from '@temporalio/client'
import { ApplicationFailure } from '@temporalio/common'
import { refusals } from '../workflows/messages'

/** One error shape for every reply: `{ error: { code, message, field?, issues? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: { field?: string; issues?: { field: string; message: string }[] } = {},
  ) {
    super(message)
  }
}

export const badRequest = (field: string, message: string) =>
  new ApiError(400, 'invalid_request', `${field}: ${message}`, { field, issues: [{ field, message }] })
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`)
export const conflict = (message: string, code = 'illegal_transition') => new ApiError(409, code, message)
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message)
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message)

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : 'body'
}

interface IssueLike {
  path: readonly PropertyKey[]
  message: string
  code?: string
  keys?: readonly string[]
}

export function validationError(error: { issues: readonly IssueLike[] }): ApiError {
  const issues = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys?.length
      ? issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: 'unknown field' }))
      : [{ field: fieldPath(issue.path), message: issue.message }],
  )
  const first = issues[0] ?? { field: 'body', message: 'invalid' }
  return new ApiError(400, 'invalid_request', `${first.field}: ${first.message}`, {
    field: first.field,
    issues,
  })
}

const refusalStatus: Record<string, ContentfulStatusCode> = {
  [refusals.illegalTransition]: 409,
  [refusals.countMismatch]: 409,
  [refusals.approverIsCreator]: 403,
  [refusals.invalidInput]: 400,
}

/** Temporal's answers to an update, as HTTP: a refusal by the workflow keeps its message. */
export function fromTemporal(err: unknown): ApiError | null {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? ''
    const code =
      type === refusals.countMismatch
        ? 'count_mismatch'
        : type === refusals.approverIsCreator
          ? 'forbidden'
          : 'illegal_transition'
    return new ApiError(refusalStatus[type] ?? 409, code, err.cause.message)
  }
  if (err instanceof WorkflowNotFoundError) {
    return conflict('this delivery has ended: its workflow no longer takes commands')
  }
  const grpc = err instanceof ServiceError ? err.cause : err
  if (isGrpcServiceError(grpc) && (grpc.code === 4 || grpc.code === 14)) {
    return new ApiError(503, 'unavailable', 'Temporal or its workers did not answer in time; try again')
  }
  return null
}

export function toResponse(err: unknown, c: Context): Response {
  const apiError =
    err instanceof ApiError
      ? err
      : err instanceof ZodError
        ? validationError(err)
        : err instanceof HTTPException && err.status === 400
          ? new ApiError(400, 'malformed_json', `body: ${err.message}`, { field: 'body' })
          : err instanceof HTTPException
            ? new ApiError(
                err.status as ContentfulStatusCode,
                err.status === 504 ? 'timeout' : 'http_error',
                err.message,
              )
            : fromTemporal(err)
  if (!apiError) {
    console.error('unexpected error', err)
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500)
  }
  return c.json(
    { error: { code: apiError.code, message: apiError.message, ...apiError.details } },
    apiError.status,
  )
}
