import fs from 'node:fs'
import { execFileSync } from 'node:child_process'

/**
 * What Herald needs to know about other processes on this machine: whether one still runs, what its
 * command is, which one listens on a port, and how to stop one it did not start. Linux answers from
 * /proc; elsewhere (macOS) `ps` and `lsof` do.
 */
export interface ProcessInfo {
  pid: number
  ppid: number
  /** The arguments joined with spaces; empty for a zombie. */
  command: string
}

const hasProc = fs.existsSync('/proc/self/stat')

/** Whether the process exists and has not exited: a zombie (exited, never reaped by its parent) has. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return processState(pid) !== 'Z'
}

function processState(pid: number): string | null {
  if (!hasProc) return ps(['-o', 'state=', '-p', String(pid)])?.trim()[0] ?? null
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2]
  } catch {
    return null
  }
}

/** The command line of a running process, or null when it is gone (or cannot be read). */
export function commandLine(pid: number): string | null {
  if (!isRunning(pid)) return null
  if (!hasProc) return ps(['-o', 'command=', '-p', String(pid)])?.trim() || null
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || null
  } catch {
    return null
  }
}

/** Every running process this user can see (zombies excluded). */
export function listProcesses(): ProcessInfo[] {
  if (!hasProc) {
    return (ps(['-A', '-o', 'pid=,ppid=,state=,command=']) ?? '')
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && !m[3].startsWith('Z'))
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[4] }))
  }
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        const command = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim()
        return state === 'Z' ? [] : [{ pid: Number(name), ppid: Number(ppid), command }]
      } catch {
        return [] // it exited while we looked
      }
    })
}

/** The process listening on a TCP port, where this user may see it. */
export function portHolder(port: number): { pid: number; command: string } | null {
  const pid = hasProc ? listenerFromProc(port) : listenerFromLsof(port)
  const command = pid === null ? null : commandLine(pid)
  return pid === null || command === null ? null : { pid, command }
}

function listenerFromProc(port: number): number | null {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = fs.existsSync(table) ? fs.readFileSync(table, 'utf8').split('\n').slice(1) : []
    for (const fields of rows.map((row) => row.trim().split(/\s+/))) {
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the ninth field is the socket's inode.
      if (fields[3] === '0A' && parseInt(fields[1]?.split(':')[1] ?? '', 16) === port) inodes.add(fields[9])
    }
  }
  if (inodes.size === 0) return null
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let fds: string[] = []
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // another user's process, or gone
    }
    for (const fd of fds) {
      const target = readLink(`/proc/${pid}/fd/${fd}`)
      if (target?.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(pid)
    }
  }
  return null
}

function listenerFromLsof(port: number): number | null {
  const out = run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t'])
  const pid = Number(out?.split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  signal(pid, 'SIGTERM')
  if (await exitsWithin(pid, graceMs)) return
  signal(pid, 'SIGKILL')
  if (!(await exitsWithin(pid, 5_000))) throw new Error(`process ${pid} survived SIGKILL`)
}

/** Polls until the process has gone, for at most `ms`. */
export async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return true
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

function readLink(file: string): string | null {
  try {
    return fs.readlinkSync(file)
  } catch {
    return null
  }
}

function ps(args: string[]): string | null {
  return run('ps', args)
}

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    return null
  }
}
