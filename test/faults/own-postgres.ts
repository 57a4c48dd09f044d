import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { freePort } from '../../runtime/dev-server'

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary folder, a free port), so that a test
 * can crash and restart it without touching the server other tests use.
 */
export interface OwnPostgres {
  adminUrl: string
  /** The server's process (its backends are its children). */
  postmasterPid(): number
  /** Crash (`-m immediate`: no checkpoint, recovery from the WAL on start) and start again. */
  crashAndRestart(downMs: number): Promise<void>
  stop(): void
}

function binaries(): string {
  const root = '/usr/lib/postgresql'
  const version = fs.readdirSync(root).sort().pop()
  if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql')
  return path.join(root, version, 'bin')
}

/** `settings`: server settings for this cluster (`shared_preload_libraries`, say: the benchmark's). */
export async function startOwnPostgres(settings: Record<string, string> = {}): Promise<OwnPostgres> {
  const bin = binaries()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pg-'))
  const data = path.join(dir, 'data')
  const port = await freePort()
  // initdb refuses to run as root: run the cluster as the postgres user when we are root.
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, command), args, { stdio: 'pipe' })
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir])
  asOwner('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'])
  const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`)
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on${extra.join('')}`
  const start = () =>
    asOwner('pg_ctl', ['-D', data, '-o', options, '-w', '-l', path.join(dir, 'log'), 'start'])
  start()
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    postmasterPid: () => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    async crashAndRestart(downMs) {
      asOwner('pg_ctl', ['-D', data, '-m', 'immediate', 'stop'])
      await new Promise((resolve) => setTimeout(resolve, downMs))
      start()
    },
    stop() {
      try {
        asOwner('pg_ctl', ['-D', data, '-m', 'fast', 'stop'])
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
