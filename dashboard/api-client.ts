import type { AuthUser } from '../domain/auth-user'

/**
 * The dashboard acts through the API itself, in-process, as the logged-in user: the same routes,
 * rights, validation, workflow commands and error messages as any API client.
 */

/** A request to the API app made in-process as `user` (server/app.ts passes it the user in its environment). */
export type ApiFetch = (path: string, init: RequestInit, user: AuthUser) => Response | Promise<Response>

export interface ApiError {
  code: string
  message: string
  field?: string
}

export type ApiReply<T> =
  { ok: true; status: number; body: T } | { ok: false; status: number; error: ApiError }

export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<ApiReply<T>>

export function apiAs(fetch: ApiFetch, user: AuthUser): ApiCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> => {
    const init: RequestInit = { method }
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' }
      init.body = JSON.stringify(body)
    }
    const res = await fetch(path, init, user)
    const text = await res.text()
    const parsed = text ? (JSON.parse(text) as unknown) : null
    if (res.ok) return { ok: true, status: res.status, body: parsed as T }
    const error = (parsed as { error?: ApiError } | null)?.error
    return { ok: false, status: res.status, error: error ?? { code: 'unknown', message: res.statusText } }
  }
}

/** The reply's body, or the API's error as it would answer it (the dashboard shows it as a page). */
export function bodyOf<T>(reply: ApiReply<T>): T {
  if (!reply.ok) throw new DashboardApiError(reply.status, reply.error)
  return reply.body
}

export class DashboardApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message)
  }
}
