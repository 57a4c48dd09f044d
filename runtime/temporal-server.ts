import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { goBinary, heraldCacheDir, isExecutable } from './temporal-cli'

/**
 * The Temporal server that docker-compose.yml runs, built for this machine: `npm run cluster` runs it
 * without Docker. Built once from the Go module proxy into the cache beside the Temporal CLI's
 * (`~/.cache/herald`, or $HERALD_CACHE_DIR): the server, its sql tool, and the PostgreSQL schemas the
 * tool applies; the Temporal UI server too, when it builds.
 */
export const temporalServerVersion = 'v1.30.1'
export const temporalUiVersion = 'v2.34.0'

export interface TemporalServerBinaries {
  server: string
  sql: string
  /** `schema/postgresql/v12` of the server's module: `temporal/versioned`, `visibility/versioned`. */
  schemaDir: string
}

const serverModule = 'go.temporal.io/server'
const uiModule = 'github.com/temporalio/ui-server/v2'

export function temporalServerCacheDir(): string {
  return path.join(heraldCacheDir(), `temporal-server-${temporalServerVersion}`)
}

function requireGo(what: string): string {
  const go = goBinary()
  if (!go)
    throw new Error(`${what} is not built in ${heraldCacheDir()} and there is no Go toolchain to build it`)
  return go
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: process.env.CGO_ENABLED ?? '0', ...extra }
}

/** The directory of a module version in Go's module cache, downloaded if needed. */
function moduleDir(go: string, module: string, version: string): { dir: string; goMod: string } {
  const out = execFileSync(go, ['mod', 'download', '-json', `${module}@${version}`], { env: goEnv() })
  const info = JSON.parse(out.toString()) as { Dir: string; GoMod: string }
  return { dir: info.Dir, goMod: info.GoMod }
}

export function findTemporalServer(log: (line: string) => void = () => undefined): TemporalServerBinaries {
  const dir = temporalServerCacheDir()
  const binaries = {
    server: path.join(dir, 'server'),
    sql: path.join(dir, 'sql'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  }
  const commands = { server: 'cmd/server', sql: 'cmd/tools/sql' } as const
  for (const name of ['server', 'sql'] as const) {
    if (isExecutable(binaries[name])) continue
    const go = requireGo(`The Temporal server ${temporalServerVersion}`)
    log(`Building the Temporal ${name} ${temporalServerVersion} into ${dir} (a few minutes, once)…`)
    fs.mkdirSync(dir, { recursive: true })
    const target = `${serverModule}/${commands[name]}@${temporalServerVersion}`
    const build = spawnSync(go, ['install', target], {
      env: goEnv({ GOBIN: dir }),
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (build.status !== 0 || !isExecutable(binaries[name]))
      throw new Error(`go install ${target} failed (exit ${build.status}); see the output above`)
  }
  if (!fs.existsSync(path.join(binaries.schemaDir, 'temporal', 'versioned'))) {
    const go = requireGo(`The schemas of Temporal ${temporalServerVersion}`)
    const source = path.join(moduleDir(go, serverModule, temporalServerVersion).dir, 'schema/postgresql/v12')
    // Copied beside the binaries (writable, unlike the module cache), then moved in whole.
    const staging = fs.mkdtempSync(path.join(dir, '.schema-'))
    fs.cpSync(source, staging, { recursive: true, mode: fs.constants.COPYFILE_FICLONE })
    execFileSync('chmod', ['-R', 'u+w,go+rX', staging])
    fs.mkdirSync(path.dirname(binaries.schemaDir), { recursive: true })
    fs.renameSync(staging, binaries.schemaDir)
  }
  return binaries
}

/**
 * The Temporal UI server of docker-compose.yml's `temporal-ui` image version, or null when it cannot be
 * built here (no Go, or no network to the module proxy): the cluster then runs without a UI. Its module
 * carries a `replace` directive, so it is built inside a throwaway module that repeats it.
 */
export function findTemporalUi(log: (line: string) => void = () => undefined): string | null {
  const dir = path.join(heraldCacheDir(), `temporal-ui-${temporalUiVersion}`)
  const binary = path.join(dir, 'temporal-ui')
  if (isExecutable(binary)) return binary
  const go = goBinary()
  if (!go) {
    log('No Go toolchain: the cluster runs without the Temporal UI.')
    return null
  }
  log(`Building the Temporal UI ${temporalUiVersion} into ${dir} (a minute or two, once)…`)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-temporal-ui-'))
  try {
    const { goMod } = moduleDir(go, uiModule, temporalUiVersion)
    const replaces = fs
      .readFileSync(goMod, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('replace '))
    fs.writeFileSync(
      path.join(work, 'go.mod'),
      ['module herald/temporal-ui', '', `require ${uiModule} ${temporalUiVersion}`, '', ...replaces, ''].join(
        '\n',
      ),
    )
    fs.mkdirSync(dir, { recursive: true })
    const build = spawnSync(go, ['build', '-o', binary, `${uiModule}/cmd/server`], {
      cwd: work,
      env: goEnv({ GOFLAGS: '-mod=mod' }),
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (build.status === 0 && isExecutable(binary)) return binary
    log(`Building the Temporal UI failed (exit ${build.status}): the cluster runs without it.`)
    return null
  } catch (err) {
    log(`Building the Temporal UI failed (${(err as Error).message}): the cluster runs without it.`)
    return null
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** `npx tsx runtime/temporal-server.ts`: builds whatever is missing (CI runs it before the cluster tests). */
if (require.main === module) {
  const log = (line: string) => console.error(line)
  const binaries = findTemporalServer(log)
  const ui = findTemporalUi(log)
  console.log(JSON.stringify({ ...binaries, ui }, null, 2))
}
