import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

/**
 * docker-compose.yml as the source of truth for what runs outside Docker too: `npm run cluster`, the
 * fault tests and the benchmarks take their Node options, variables and defaults from it.
 */
export const repositoryRoot = path.resolve(__dirname, '..')

export interface ComposeService {
  image?: string
  build?: unknown
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test?: string[]; disable?: boolean }
  container_name?: string
  volumes?: string[]
  'x-healthcheck'?: string
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  [extension: `x-${string}`]: unknown
}

/** The compose file, with its anchors and `<<` merges resolved as Compose does. */
export function readCompose(file = path.join(repositoryRoot, 'docker-compose.yml')): ComposeFile {
  return parse(fs.readFileSync(file, 'utf8'), { merge: true }) as ComposeFile
}

/** Compose's interpolation of `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `$$`, and `${NAME:?message}`, which stops with the message while NAME is unset or empty. */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?::?([-?])([^}]*))?\}/g,
    (match, name?: string, operator?: string, argument?: string) => {
      if (match === '$$') return '$'
      if (operator === '?' && !env[name!])
        throw new Error(`required variable ${name} is missing a value: ${argument}`)
      return (env[name!] || (operator === '-' ? argument : undefined)) ?? ''
    },
  )
}

/** A service's environment as `docker compose up` would give it, with `env` as the shell and .env file. */
export function serviceEnvironment(
  service: string,
  env: Record<string, string | undefined> = {},
  compose: ComposeFile = readCompose(),
): Record<string, string> {
  const declared = compose.services[service]?.environment
  if (!declared) throw new Error(`docker-compose.yml has no service ${service} with an environment`)
  return Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, interpolate(String(v), env)]))
}

/** The arguments between `node` and the entry point in the command of the compose service that runs it. */
export function nodeOptionsOf(entry: string, compose: ComposeFile = readCompose()): string[] {
  const command = Object.values(compose.services)
    .map((service) => service.command)
    .find((c) => c?.[0] === 'node' && c[c.length - 1] === entry)
  if (!command) throw new Error(`no service of docker-compose.yml runs ${entry}`)
  return command.slice(1, -1)
}
