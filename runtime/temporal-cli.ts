import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'

/**
 * Finds a Temporal CLI without the internet: $TEMPORAL_CLI_PATH, then `temporal` on PATH, then a cached
 * build, then `go install` of v1.5.1 into that cache (later tags carry a `replace` directive and will not
 * `go install`). Where there is neither Go nor a binary, the SDK's own download is the last resort.
 */
export const temporalCliVersion = 'v1.5.1'

export type TemporalCli = { kind: 'binary'; path: string } | { kind: 'sdk-download' }

/** Where Herald keeps what it builds once: $HERALD_CACHE_DIR, or `herald` in the user's cache folder. */
export function heraldCacheDir(): string {
  return (
    process.env.HERALD_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'herald')
  )
}

export function temporalCliCacheDir(): string {
  return path.join(heraldCacheDir(), `temporal-cli-${temporalCliVersion}`)
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command)
    if (dir && isExecutable(candidate)) return candidate
  }
  return null
}

export function goBinary(): string | null {
  return onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null)
}

export function findTemporalCli(log: (line: string) => void = () => undefined): TemporalCli {
  const fromEnv = process.env.TEMPORAL_CLI_PATH
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`)
    return { kind: 'binary', path: fromEnv }
  }
  const installed = onPath('temporal')
  if (installed) return { kind: 'binary', path: installed }
  const cacheDir = temporalCliCacheDir()
  const cached = path.join(cacheDir, 'temporal')
  if (isExecutable(cached)) return { kind: 'binary', path: cached }

  const go = goBinary()
  if (!go) {
    log('No Temporal CLI and no Go toolchain: the Temporal SDK will download its dev server.')
    return { kind: 'sdk-download' }
  }
  log(`Building the Temporal CLI ${temporalCliVersion} from source into ${cacheDir} (a few minutes, once)…`)
  fs.mkdirSync(cacheDir, { recursive: true })
  const build = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${temporalCliVersion}`], {
    env: { ...process.env, GOBIN: cacheDir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (build.status !== 0 || !isExecutable(cached)) {
    throw new Error(`go install of the Temporal CLI failed (exit ${build.status}); see the output above`)
  }
  log(`Temporal CLI ready: ${execFileSync(cached, ['--version']).toString().trim()}`)
  return { kind: 'binary', path: cached }
}

if (require.main === module) {
  const cli = findTemporalCli((line) => console.error(line))
  console.log(cli.kind === 'binary' ? cli.path : 'sdk-download')
}
