import type { Client } from '@temporalio/client'

/** How long the API waits for a worker to take a command (an update) before answering 503. */
export const commandDeadlineMs = 20_000

/** Runs a command's calls to Temporal under the command deadline. */
export function withCommandDeadline<T>(client: Client, send: () => Promise<T>): Promise<T> {
  return client.withDeadline(Date.now() + commandDeadlineMs, send)
}
