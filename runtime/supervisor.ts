import fs from 'node:fs'
import net from 'node:net'
import { fork, spawn, type ChildProcess } from 'node:child_process'
import type { SmtpSinkOptions } from '../mail/smtp-sink'

/**
 * Processes that a supervisor (`npm run cluster`, its tests, the benchmarks) starts, kills, restarts and
 * waits for: each writes its output to a log file of its own, and knows how to tell it is ready.
 */
export interface ProcessSpec {
  name: string
  command: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  logFile: string
  /** Resolves once the process serves; rejects if it cannot. */
  ready?: (process: ManagedProcess) => Promise<void>
}

export class ManagedProcess {
  private child: ChildProcess | null = null
  private exit: Promise<string> = Promise.resolve('never started')

  constructor(readonly spec: ProcessSpec) {}

  get name(): string {
    return this.spec.name
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined
  }

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null)
  }

  /** Resolves with the exit code or signal of the current run. */
  get exited(): Promise<string> {
    return this.exit
  }

  /** Starts the process (again) and waits until it is ready. */
  async start(): Promise<this> {
    if (this.running) throw new Error(`${this.name} is already running`)
    const log = fs.openSync(this.spec.logFile, 'a')
    fs.writeSync(log, `\n── ${new Date().toISOString()} start ${this.name}\n`)
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['ignore', log, log],
    })
    fs.closeSync(log)
    this.child = child
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? String(code))),
    )
    if (this.spec.ready) await this.spec.ready(this)
    return this
  }

  /** Sends a signal (SIGKILL by default: a crash) and waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
    if (this.running) this.child!.kill(signal)
    return this.exit
  }

  /** Sends a signal without waiting (SIGSTOP and SIGCONT freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal)
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 45_000): Promise<string> {
    if (!this.running) return this.exit
    this.child!.kill('SIGTERM')
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs)
    const how = await this.exit
    clearTimeout(timer)
    return how
  }

  /** The end of its log, for error messages. */
  logTail(bytes = 3000): string {
    try {
      const text = fs.readFileSync(this.spec.logFile, 'utf8')
      return text.slice(-bytes)
    } catch {
      return ''
    }
  }
}

/**
 * Polls `check` every 200 ms until it holds; fails after `timeoutMs`, or at once if the process it waits
 * for has exited (with the end of its log).
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 60_000, process }: { timeoutMs?: number; process?: ManagedProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (process && !process.running) {
      const how = await process.exited
      throw new Error(`${process.name} exited (${how}) before ${what}:\n${process.logTail()}`)
    }
    if (await check().catch(() => false)) return
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${process ? `\n${process.logTail()}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await res.body?.cancel()
  return res.ok
}

/** Runs a one-off job (a setup script) to its end; fails with the end of its log if it fails. */
export async function runJob(spec: ProcessSpec, timeoutMs = 180_000): Promise<void> {
  const job = new ManagedProcess(spec)
  await job.start()
  const timer = setTimeout(() => void job.kill(), timeoutMs)
  const how = await job.exited
  clearTimeout(timer)
  if (how !== '0') throw new Error(`${spec.name} failed (${how}):\n${job.logTail()}`)
}

export interface SinkCounts {
  total: number
  distinct: number
  duplicates: number
}

/** Herald's SMTP sink in a process of its own (runtime/sink-process.ts), asked over IPC. */
export class SinkProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(options: SmtpSinkOptions = {}): Promise<SinkProcess> {
    const child = fork(require.resolve('./sink-process'), [JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    })
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (m: { url: string }) => resolve(m.url))
      child.once('exit', (code) => reject(new Error(`sink process exited with ${code}`)))
    })
    return new SinkProcess(child, url)
  }

  get port(): number {
    return Number(new URL(this.url).port)
  }

  private ask<T>(type: string, extra: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string } & T) => {
        if (m.type !== type) return
        this.child.off('message', onMessage)
        resolve(m)
      }
      this.child.on('message', onMessage)
      this.child.send({ type, ...extra })
    })
  }

  counts(): Promise<SinkCounts> {
    return this.ask<SinkCounts>('count')
  }

  /** How many times each Message-ID that starts with `prefix` arrived. */
  async received(prefix: string): Promise<Map<string, number>> {
    const { entries } = await this.ask<{ entries: [string, number][] }>('received', { prefix })
    return new Map(entries)
  }

  async waitForTotal(total: number, timeoutMs = 600_000): Promise<SinkCounts> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const counts = await this.counts()
      if (counts.total >= total) return counts
      if (Date.now() > deadline)
        throw new Error(`sink has ${counts.total} of ${total} messages after ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async reset(): Promise<void> {
    await this.ask('reset')
  }

  /** From now on, each message is answered `ms` after its data arrived. */
  async setReplyDelay(ms: number): Promise<void> {
    await this.ask('delay', { ms })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect()
  }
}
