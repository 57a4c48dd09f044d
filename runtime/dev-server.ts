import fs from 'node:fs'
import net from 'node:net'
import { spawn, type ChildProcess } from 'node:child_process'
import { Connection } from '@temporalio/client'
import { findTemporalCli } from './temporal-cli'
import { ensurePortFree } from './ports'
import { listProcesses } from './processes'
import { watchOver } from './watchdog'

/** Search attributes every Herald namespace needs. */
export const heraldSearchAttributes = { DeliveryId: 'Keyword', DeliveryStatus: 'Keyword' } as const

export interface DevServerOptions {
  port?: number
  /** 0 or undefined: no UI */
  uiPort?: number
  /** Persistent SQLite file; in memory without it. */
  dbFile?: string
  /** Server dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 400 }`. */
  dynamicConfig?: Record<string, string | number | boolean>
  log?: (line: string) => void
  /**
   * Where the server's own log goes (appended); its starter's memory otherwise. A file outlives the
   * starter: a server whose starter died would otherwise die too, of SIGPIPE, at its next log line —
   * or not, if it logs nothing; the watchdog stops it either way.
   */
  logFile?: string
  /** Called with the server's pid as soon as it exists (before it serves), to record it. */
  onStarted?: (pid: number) => void
}

function dynamicConfigArgs(values: DevServerOptions['dynamicConfig'] = {}): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ])
}

export interface DevServer {
  address: string
  uiUrl: string | null
  /** The server process, for tests that kill it. */
  process: ChildProcess | null
  /** Its pid, where known (the SDK's download starts it out of sight). */
  pid: number | null
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts `temporal server start-dev` (the real Temporal server, SQLite-backed) and waits until it serves.
 * The server runs in a session of its own, so Ctrl-C reaches only its starter, which stops it in order
 * (after the worker); a watchdog stops it if its starter dies without doing so.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? (() => undefined)
  const port = options.port ?? (await freePort())
  await ensurePortsFree(port, options.uiPort)
  const cli = findTemporalCli(log)
  if (cli.kind === 'sdk-download') return startWithSdkDownload(port, options)

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn']
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']))
  if (options.dbFile) args.push('--db-filename', options.dbFile)
  for (const [name, type] of Object.entries(heraldSearchAttributes))
    args.push('--search-attribute', `${name}=${type}`)
  args.push(...dynamicConfigArgs(options.dynamicConfig))
  const { child, logTail } = spawnServer(cli.path, args, options.logFile)
  const watchdog = child.pid === undefined ? null : watchOver(child.pid)
  if (child.pid !== undefined) options.onStarted?.(child.pid)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      watchdog?.dismiss()
      resolve(code)
    }),
  )
  const address = `127.0.0.1:${port}`
  await waitUntilServing(address, exited, logTail)
  return {
    address,
    uiUrl: options.uiPort ? `http://localhost:${options.uiPort}` : null,
    process: child,
    pid: child.pid ?? null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The server in a session of its own; its log kept in memory (the last 4,000 characters) or in a file. */
function spawnServer(
  cli: string,
  args: string[],
  logFile: string | undefined,
): { child: ChildProcess; logTail: () => string } {
  const logFd = logFile ? fs.openSync(logFile, 'a') : null
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', logFd ?? 'pipe'], detached: true })
  if (logFd !== null) fs.closeSync(logFd)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const fromFile = () => fs.readFileSync(logFile!, 'utf8').slice(-4000)
  return { child, logTail: logFile ? fromFile : () => stderr }
}

async function ensurePortsFree(port: number, uiPort: number | undefined): Promise<void> {
  const host = '127.0.0.1'
  await ensurePortFree({ port, host, what: 'the Temporal dev server' })
  if (uiPort) await ensurePortFree({ port: uiPort, host, what: 'the Temporal UI' })
}

async function waitUntilServing(
  address: string,
  exited: Promise<number | null>,
  stderr: () => string,
): Promise<void> {
  let gone: number | null | undefined
  void exited.then((code) => (gone = code))
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(`temporal server exited with ${gone}:\n${stderr()}`)
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 })
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' })
        return
      } finally {
        await connection.close()
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  throw new Error(`temporal server at ${address} did not start within 60 s:\n${stderr()}`)
}

async function startWithSdkDownload(port: number, options: DevServerOptions): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing')
  const { defineSearchAttributeKey, SearchAttributeType } = await import('@temporalio/common')
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port,
      dbFilename: options.dbFile,
      ui: Boolean(options.uiPort),
      uiPort: options.uiPort || undefined,
      searchAttributes: Object.keys(heraldSearchAttributes).map((name) =>
        defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
      ),
      extraArgs: dynamicConfigArgs(options.dynamicConfig),
    },
  })
  // The SDK starts the server as a child of this process; find it to watch over it like our own.
  const server = listProcesses().find(
    (p) => p.ppid === process.pid && p.command.includes('start-dev') && p.command.includes(String(port)),
  )
  const watchdog = server ? watchOver(server.pid) : null
  if (server) options.onStarted?.(server.pid)
  return {
    address: env.address,
    uiUrl: options.uiPort ? `http://localhost:${options.uiPort}` : null,
    process: null,
    pid: server?.pid ?? null,
    async stop() {
      await env.teardown()
      watchdog?.dismiss()
    },
  }
}
