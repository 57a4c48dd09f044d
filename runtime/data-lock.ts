import fs from 'node:fs'
import path from 'node:path'
import { commandLine, isRunning, stopProcess } from './processes'
import { StartRefused } from './ports'

/**
 * `data/herald.lock`: which Herald runs from this data directory, and the Temporal dev server it started
 * (pid, ports, database file). A start finds there what a crash left behind: a Herald still alive makes
 * it refuse; a dev server still alive (its watchdog killed with Herald, say) is stopped before anything
 * else starts. Stopped rather than adopted: its history is in the database file, so a new server loses
 * nothing, and Herald then owns exactly one server it can watch over and whose errors it can read.
 */
export interface RecordedServer {
  pid: number
  port: number
  uiPort: number
  dbFile: string
}

interface LockContents {
  herald: { pid: number; command: string | null }
  temporal?: RecordedServer
}

export interface DataLock {
  file: string
  recordServer(server: RecordedServer): void
  /** After an orderly stop: nothing of this Herald is left running. */
  release(): void
}

export async function lockDataDir(dataDir: string, log: (line: string) => void): Promise<DataLock> {
  const file = path.join(dataDir, 'herald.lock')
  const contents: LockContents = { herald: { pid: process.pid, command: commandLine(process.pid) } }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusively(file, contents)) return handle(file, contents)
    const previous = readLock(file)
    const owner = previous?.herald
    // A pid of the dead Herald's can be this process's own, after the pids wrapped around.
    if (owner && owner.pid !== process.pid && isSameProcess(owner.pid, owner.command))
      throw new StartRefused(
        `Herald is already running from ${dataDir} (pid ${owner.pid}); stop it first (Ctrl-C in its terminal, or kill ${owner.pid})`,
      )
    if (previous?.temporal) await stopLeftServer(previous.temporal, log)
    removeIfUnchanged(file, previous)
  }
  throw new Error(`could not take ${file}: another Herald is starting from ${dataDir}`)
}

function handle(file: string, contents: LockContents): DataLock {
  return {
    file,
    recordServer(server) {
      contents.temporal = server
      const next = `${file}.${process.pid}`
      fs.writeFileSync(next, JSON.stringify(contents, null, 2))
      fs.renameSync(next, file)
    },
    release() {
      fs.rmSync(file, { force: true })
    },
  }
}

/** The recorded server, if it still runs with that database file (a reused pid is another process). */
async function stopLeftServer(server: RecordedServer, log: (line: string) => void): Promise<void> {
  const command = commandLine(server.pid)
  if (!command?.includes('start-dev') || !command.includes(server.dbFile)) return
  log(
    `stopping the Temporal dev server the previous start left running (pid ${server.pid}, port ${server.port})…`,
  )
  await stopProcess(server.pid)
  log(`stopped it (pid ${server.pid}); starting a new one on the same database`)
}

function isSameProcess(pid: number, command: string | null): boolean {
  if (!isRunning(pid)) return false
  return command === null || commandLine(pid) === command
}

/** Written whole to a file of our own, then linked into place: the link fails if a lock exists. */
function createExclusively(file: string, contents: LockContents): boolean {
  const mine = `${file}.${process.pid}`
  fs.writeFileSync(mine, JSON.stringify(contents, null, 2))
  try {
    fs.linkSync(mine, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    fs.rmSync(mine, { force: true })
  }
}

function readLock(file: string): LockContents | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockContents
  } catch {
    return null
  }
}

/** Another start may have replaced the stale lock meanwhile: leave its lock alone. */
function removeIfUnchanged(file: string, seen: LockContents | null): void {
  if (JSON.stringify(readLock(file)) === JSON.stringify(seen)) fs.rmSync(file, { force: true })
}
