import path from 'node:path'
import { spawn } from 'node:child_process'
import { stopProcess } from './processes'

/**
 * Stops a process (the Temporal dev server) when the process that started it dies, however it dies.
 *
 * Why a pipe: the watchdog reads its stdin, a pipe whose only write end Herald holds. The kernel closes
 * that end when Herald exits — SIGKILL and the out-of-memory killer included — and the watchdog reads
 * end-of-file. Parent-death signalling (prctl PR_SET_PDEATHSIG) would do the same but is out of Node's
 * reach without a native addon, and `setpriv --pdeathsig` exists on Linux only; the pipe works on every
 * Unix Node runs on. The watchdog runs in a session of its own, so Ctrl-C in Herald's terminal does not
 * reach it; Herald dismisses it once it has stopped the server itself.
 */
export interface Watchdog {
  pid: number | undefined
  /** Herald stopped the process itself (or it exited): the watchdog has nothing left to do. */
  dismiss(): void
}

const root = path.resolve(__dirname, '..')

export function watchOver(pid: number): Watchdog {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, String(pid)], {
    cwd: root, // where `--import tsx` resolves
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  })
  child.on('error', () => undefined)
  // Neither the watchdog nor its pipe keeps Herald's event loop alive.
  child.unref()
  ;(child.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return {
    pid: child.pid,
    dismiss() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** The watchdog itself: `node --import tsx runtime/watchdog.ts <pid>`. */
function runWatchdog(pid: number): void {
  const stop = () =>
    void stopProcess(pid)
      .catch(() => undefined)
      .finally(() => process.exit(0))
  process.stdin.once('end', stop)
  process.stdin.once('error', stop)
  process.stdin.resume()
}

if (require.main === module) runWatchdog(Number(process.argv[2]))
