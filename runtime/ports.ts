import net from 'node:net'
import { portHolder } from './processes'

/** Herald will not start, for a reason the message says whole (printed without a stack trace). */
export class StartRefused extends Error {
  override name = 'StartRefused'
}

/** A port Herald is about to listen on: what for, and the setting that moves it. */
export interface PortUse {
  port: number
  host: string
  what: string
  /** The environment variable that chooses another port. */
  setting?: string
}

/**
 * Fails, before anything listens, when a port is taken — naming the port and, where this user can see
 * it, the process holding it. Never a silent reuse: an old Temporal server answering on Herald's port
 * would be taken for the new one.
 */
export async function ensurePortFree(use: PortUse): Promise<void> {
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? portTakenError(use) : err),
    )
    probe.listen({ port: use.port, host: use.host, exclusive: true }, () => probe.close(() => resolve()))
  })
}

/** An error for a port found taken while listening (the probe above can lose a race). */
export function portTakenError(use: PortUse): Error {
  const holder = portHolder(use.port)
  const by = holder
    ? `by process ${holder.pid} (${holder.command.slice(0, 300)})`
    : 'by a process Herald cannot see (another user’s?)'
  const remedy = holder ? `Stop that process (kill ${holder.pid})` : 'Stop that process'
  const setting = use.setting ? `, or set ${use.setting} to another port` : ''
  return new StartRefused(
    `Port ${use.port} on ${use.host}, for ${use.what}, is already in use ${by}. ${remedy}${setting}.`,
  )
}

/** Whether an error is a listen on a taken port. */
export function isPortTaken(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE'
}
