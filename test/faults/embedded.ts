import fs from 'node:fs'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { listProcesses, type ProcessInfo } from '../../runtime/processes'

/**
 * `npm start` as a process group of its own, as a shell runs a job: Ctrl-C is SIGINT to the whole group
 * (npm, its shell and Herald), exactly what a terminal sends.
 */
export interface NpmStart {
  child: ChildProcess
  /** Everything npm start printed, stdout and stderr. */
  output(): string
  /** Resolves with the exit code or signal of npm. */
  exited: Promise<string>
  /** Ctrl-C; resolves with npm's exit once every process writing to its output (Herald too) has ended. */
  ctrlC(): Promise<string>
}

const root = path.resolve(__dirname, '../..')

export function npmStart(env: Record<string, string>): NpmStart {
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const collect = (chunk: Buffer) => (output += chunk.toString())
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  )
  // npm may end before the script it runs: 'close' comes when every holder of its output has ended.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return {
    child,
    output: () => output,
    exited,
    async ctrlC() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT')
      await closed
      return exited
    },
  }
}

/**
 * The live processes of one embedded Herald, whatever started them: every process whose environment
 * names its data directory (npm, Herald, and what Herald started — the dev server, its watchdog).
 */
export function processesOf(dataDir: string): ProcessInfo[] {
  const marker = `HERALD_DATA_DIR=${dataDir}`
  return listProcesses().filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(marker)
    } catch {
      return false // gone meanwhile
    }
  })
}

/** Temporal dev servers serving this data directory's database file. */
export function temporalServersOf(dataDir: string): ProcessInfo[] {
  const dbFile = path.join(dataDir, 'temporal.db')
  return listProcesses().filter((p) => p.command.includes('start-dev') && p.command.includes(dbFile))
}

/** Polls `check` until it returns something truthy, or fails after `ms` saying what it waited for. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  ms: number,
  context: () => string = () => '',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${ms} ms\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The data directory's lock, as the running Herald recorded it. */
export function readLock(dataDir: string): {
  herald: { pid: number }
  temporal?: { pid: number; port: number }
} | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, 'herald.lock'), 'utf8'))
  } catch {
    return null
  }
}
