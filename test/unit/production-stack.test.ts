import fs from 'node:fs'
import path from 'node:path'
import Ajv from 'ajv'
import ts from 'typescript'
import { loadConfig, requireTrackingSecret } from '../../config/env'
import { heraldSearchAttributes } from '../../runtime/dev-server'
import { seededSecret } from '../support/seed'
import { interpolate, readCompose } from '../../runtime/compose'
import {
  composeServiceOf,
  heraldServiceEnv,
  temporalDeployDir,
  temporalDeployFiles,
  temporalServiceEnv,
  temporalServices,
  type ClusterPorts,
} from '../../runtime/cluster'
import { temporalServerVersion, temporalUiVersion } from '../../runtime/temporal-server'

/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file against the
 * Compose specification's JSON schema, and both against the code — the variables it reads, the files
 * and packages the api and worker load, the ports they use — and against `npm run cluster`, which runs
 * the same Temporal server with the same files and variables.
 */
const root = path.resolve(__dirname, '../..')
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8')

const compose = readCompose()
const services = compose.services

/** What an operator must set: the compose file has no tracking secret of its own. */
const operatorEnv = { HERALD_TRACKING_SECRET: seededSecret('compose tracking secret', 32) }

function environmentOf(service: string, shell: Record<string, string> = operatorEnv): Record<string, string> {
  const env = services[service].environment ?? {}
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), shell)]))
}

// ── The Dockerfile ───────────────────────────────────────────────────────────────────────────────

interface Instruction {
  keyword: string
  args: string
}

function dockerfileStages(): { name: string; from: string; instructions: Instruction[] }[] {
  const lines = read('Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  const stages: { name: string; from: string; instructions: Instruction[] }[] = []
  for (const line of lines) {
    const [, keyword, args] = /^(\w+)\s+(.*)$/.exec(line)!
    if (keyword.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!
      stages.push({ name: name ?? from, from, instructions: [] })
    } else stages[stages.length - 1].instructions.push({ keyword: keyword.toUpperCase(), args })
  }
  return stages
}

const stages = dockerfileStages()
const runtimeStage = stages[stages.length - 1]
const runtimeEnv = Object.fromEntries(
  runtimeStage.instructions
    .filter((i) => i.keyword === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
)
/** What the runtime stage copies from the build context (not from other stages). */
const copiedFromContext = runtimeStage.instructions
  .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
  .flatMap((i) => i.args.split(/\s+/).slice(0, -1))

// ── What the api and worker load ────────────────────────────────────────────────────────────────

/** What the image runs: the api, the worker, and the first administrator's token. */
const entrypoints = ['server/main.ts', 'worker/main.ts', 'scripts/create-admin.ts']

/** The source files the entrypoints import, transitively, and the packages they import at run time. */
function importClosure(): { files: string[]; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const resolve = (from: string, spec: string) => {
    const base = path.join(path.dirname(from), spec)
    for (const candidate of [
      base,
      `${base}.ts`,
      `${base}.tsx`,
      path.join(base, 'index.ts'),
      path.join(base, 'index.tsx'),
    ])
      if (fs.existsSync(path.join(root, candidate)) && fs.statSync(path.join(root, candidate)).isFile())
        return candidate
    throw new Error(`${from}: cannot resolve ${spec}`)
  }
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true)
    const specs: string[] = []
    const walk = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly)
        specs.push((node.moduleSpecifier as ts.StringLiteral).text)
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly)
        specs.push((node.moduleSpecifier as ts.StringLiteral).text)
      if (
        ts.isCallExpression(node) &&
        (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
          (ts.isIdentifier(node.expression) && ['require', 'resolve'].includes(node.expression.text)) ||
          (ts.isPropertyAccessExpression(node.expression) &&
            node.expression.getText() === 'require.resolve')) &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      )
        specs.push(node.arguments[0].text)
      ts.forEachChild(node, walk)
    }
    walk(source)
    for (const spec of specs) {
      if (spec.startsWith('.')) visit(resolve(file, spec))
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0])
    }
  }
  entrypoints.forEach(visit)
  return { files: [...files].sort(), packages }
}

const closure = importClosure()

/** Every environment variable the loaded code reads. */
function variablesRead(): string[] {
  const names = new Set<string>()
  for (const file of closure.files) {
    const text = read(file)
    for (const pattern of [
      /process\.env\.([A-Z][A-Z0-9_]*)/g,
      /\benv\.([A-Z][A-Z0-9_]*)/g,
      /\(\s*env,\s*'([A-Z][A-Z0-9_]*)'/g,
    ])
      for (const match of text.matchAll(pattern)) names.add(match[1])
  }
  return [...names].sort()
}

const packageJson = JSON.parse(read('package.json')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

/** Checks a compose file against the Compose specification's JSON schema; true when valid. */
function validateCompose(file: unknown): boolean {
  const { $schema: _, ...schema } = JSON.parse(read('test/fixtures/compose-spec.schema.json')) as Record<
    string,
    unknown
  >
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema)
  const valid = validate(file)
  expect(validate.errors ?? []).toEqual([])
  return valid as boolean
}

describe('the production stack (docker-compose.yml and Dockerfile)', () => {
  test('the compose file is valid against the Compose specification', () => {
    expect(validateCompose(compose)).toBe(true)
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'mailpit',
        'postgres',
        'temporal',
        'temporal-history',
        'temporal-matching',
        'temporal-worker',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'worker',
        'prometheus',
        'grafana',
      ].sort(),
    )
  })

  test('the api and the worker get every variable the code reads, and Herald accepts that configuration', () => {
    const read = variablesRead()
    expect(read).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'SMTP_URL', 'TEMPORAL_ADDRESS', 'HERALD_TRACKING_SECRET']),
    )
    for (const service of ['api', 'worker']) {
      const env = { ...runtimeEnv, ...environmentOf(service) }
      expect({ service, unset: read.filter((name) => !(name in env)) }).toEqual({ service, unset: [] })
      const config = loadConfig(env)
      expect(() => requireTrackingSecret(config)).not.toThrow()
      expect(config).toMatchObject({
        databaseUrl: 'postgres://herald:herald@postgres:5432/herald',
        smtp: { url: 'smtp://mailpit:1025' },
        temporal: {
          address: 'temporal:7233',
          namespace: 'default',
          taskQueue: 'herald',
          tls: { enabled: false },
        },
        api: { host: '0.0.0.0', port: 3000 },
      })
      // The file's defaults are the code's own: leaving a tuning variable out of it changes nothing.
      const deployment = [
        'DATABASE_URL',
        'SMTP_URL',
        'SMTP_FROM',
        'TEMPORAL_ADDRESS',
        'TEMPORAL_UI_URL',
        'HERALD_HOST',
        'HERALD_MESSAGE_ID_DOMAIN',
        'HERALD_TRACKING_SECRET',
      ]
      const byCode = loadConfig(Object.fromEntries(deployment.map((name) => [name, env[name]])))
      const { dashboard: _a, ...fromFile } = config
      const { dashboard: _b, ...fromCode } = byCode
      expect(fromFile).toEqual(fromCode)
      expect(config.dashboard.sessionTtlMs).toBe(byCode.dashboard.sessionTtlMs)
    }
    expect(environmentOf('api')).toEqual(environmentOf('worker'))
    // Without a tracking secret of the operator's, compose stops before starting anything, saying how to make one.
    for (const service of ['api', 'worker'])
      expect(() => environmentOf(service, {})).toThrow(/HERALD_TRACKING_SECRET.*openssl rand/)
  })

  test('a managed Temporal is configured by variables too: API key, TLS, client certificate', () => {
    const env = environmentOf('api')
    for (const name of [
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS',
      'TEMPORAL_TLS_CERT',
      'TEMPORAL_TLS_KEY',
      'TEMPORAL_TLS_SERVER_NAME',
    ])
      expect({ name, set: name in env }).toEqual({ name, set: true })
    const managed = loadConfig({
      ...env,
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'key',
    })
    expect(managed.temporal).toMatchObject({ apiKey: 'key', tls: { enabled: true } })
    const production = read('README.md').split('\n## Production')[1].split('\n## ')[0]
    for (const words of [
      'docker compose up --build',
      '--scale worker=',
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS_CERT',
      '--no-deps',
    ])
      expect({ words, documented: production.includes(words) }).toEqual({ words, documented: true })
  })

  test('ports agree: the api where it is published and checked, Temporal on 7233, the UI, Mailpit', () => {
    const api = environmentOf('api')
    expect(services.api.ports).toEqual([`${api.HERALD_PORT}:${api.HERALD_PORT}`])
    expect(services.api.healthcheck!.test!.join(' ')).toContain(`http://127.0.0.1:${api.HERALD_PORT}/health`)
    expect(new URL(api.HERALD_PUBLIC_URL).port).toBe(api.HERALD_PORT)
    expect(api.TEMPORAL_ADDRESS).toBe('temporal:7233')
    expect(services.temporal.healthcheck!.test).toContain('7233')
    expect(environmentOf('temporal-ui').TEMPORAL_ADDRESS).toBe(api.TEMPORAL_ADDRESS)
    expect(new URL(api.SMTP_URL).hostname).toBe('mailpit')
  })

  test('only the api publishes a port: Temporal (whoever reaches it commands any workflow), its UI and Mailpit stay on the compose network', () => {
    const published = Object.entries(services)
      .filter(([, service]) => service.ports?.length)
      .map(([name]) => name)
    expect(published).toEqual(['api'])
  })

  test('the loopback override publishes the UI and Mailpit on 127.0.0.1 only, where the UI links point', () => {
    const override = readCompose(path.join(root, 'deploy/compose.loopback-ui.yml'))
    expect(validateCompose(override)).toBe(true)
    const ports = Object.fromEntries(Object.entries(override.services).map(([name, s]) => [name, s.ports]))
    expect(ports).toEqual({ 'temporal-ui': ['127.0.0.1:8080:8080'], mailpit: ['127.0.0.1:8025:8025'] })
    expect(new URL(environmentOf('api').TEMPORAL_UI_URL).port).toBe('8080')
    const security = read('README.md').split('\n## Security')[1].split('\n## ')[0]
    for (const words of [
      'deploy/compose.loopback-ui.yml',
      'ssh -N -L 8080:127.0.0.1:8080',
      'TEMPORAL_TLS_REQUIRE_CLIENT_AUTH',
    ])
      expect({ words, documented: security.includes(words) }).toEqual({ words, documented: true })
  })

  test('every service has a health check, or says why it has none', () => {
    for (const [name, service] of Object.entries(services)) {
      const checked = Boolean(service.healthcheck?.test?.length) && !service.healthcheck?.disable
      expect({ name, checkedOrExplained: checked || Boolean(service['x-healthcheck']) }).toEqual({
        name,
        checkedOrExplained: true,
      })
    }
    // What others wait for is healthy first, or done.
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const expected = services[dependency]['x-healthcheck']
          ? 'service_completed_successfully'
          : 'service_healthy'
        expect({ name, dependency, condition }).toEqual({ name, dependency, condition: expected })
      }
    }
  })

  test('workers scale with --scale worker=N: no fixed name, no published port, one image with the api', () => {
    expect(services.worker.container_name).toBeUndefined()
    expect(services.worker.ports).toBeUndefined()
    expect(services.worker.image).toBe(services.api.image)
    expect(services.worker.command).toEqual([
      'node',
      '--max-old-space-size=192',
      '--import',
      'tsx',
      'worker/main.ts',
    ])
    expect(services.api.command).toEqual(['node', '--import', 'tsx', 'server/main.ts'])
  })

  test('Temporal keeps its data in the PostgreSQL service, each of its services a container, and gets Herald’s namespace and search attributes', () => {
    const postgres = environmentOf('postgres')
    for (const service of temporalServices) {
      const name = composeServiceOf[service]
      expect({ name, env: environmentOf(name) }).toMatchObject({
        name,
        env: {
          TEMPORAL_SERVICES: service,
          POSTGRES_SEEDS: 'postgres',
          POSTGRES_USER: postgres.POSTGRES_USER,
          POSTGRES_PWD: postgres.POSTGRES_PASSWORD,
        },
      })
      expect(services[name].depends_on).toEqual({
        'temporal-schema': { condition: 'service_completed_successfully' },
      })
      expect(services[name].healthcheck!.test).toEqual(expect.arrayContaining(['nc', 'localhost']))
    }
    expect(services['temporal-schema'].depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
    expect(Object.keys(services['temporal-setup'].depends_on!).sort()).toEqual(
      Object.values(composeServiceOf).sort(),
    )
    const setup = read(path.join(temporalDeployDir, temporalDeployFiles.setup))
    for (const name of Object.keys(heraldSearchAttributes)) expect(setup).toContain(name)
    expect(setup).toContain('--type Keyword')
    expect(services.api.depends_on!['temporal-setup']).toEqual({
      condition: 'service_completed_successfully',
    })
  })

  test('the image: built in stages, production dependencies only at run time, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3)
    expect(runtimeStage.name).toBe('runtime')
    for (const service of ['api', 'worker'])
      expect(services[service].build).toEqual({ context: '.', target: 'runtime' })
    const copies = runtimeStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args)
    const modulesFrom = /--from=(\S+) \/app\/node_modules/.exec(copies.join('\n'))![1]
    const installs = stages
      .find((s) => s.name === modulesFrom)!
      .instructions.filter((i) => i.keyword === 'RUN')
    expect(installs.map((i) => i.args)).toEqual(['npm ci --omit=dev --no-audit --no-fund'])
    const users = runtimeStage.instructions.filter((i) => i.keyword === 'USER')
    expect(users.length).toBeGreaterThan(0)
    expect(users[users.length - 1].args).not.toMatch(/^(root|0)(:|$)/)
    expect(runtimeStage.instructions[runtimeStage.instructions.length - 1].keyword).toBe('CMD')
  })

  test('the image holds every folder the api and worker load, and its commands name files that exist', () => {
    const copied = copiedFromContext.map((entry) => entry.replace(/\/$/, ''))
    const inImage = (file: string) => copied.some((entry) => file === entry || file.startsWith(`${entry}/`))
    expect(closure.files.filter((file) => !inImage(file))).toEqual([])
    expect(copied).toEqual(expect.arrayContaining(['tsconfig.json', 'package.json', 'dashboard']))
    // Files read at run time rather than imported: the dashboard's assets.
    expect(fs.existsSync(path.join(root, 'dashboard/assets/dashboard.css'))).toBe(true)
    const cmd = JSON.parse(runtimeStage.instructions.find((i) => i.keyword === 'CMD')!.args) as string[]
    for (const command of [cmd, services.api.command!, services.worker.command!])
      expect(fs.existsSync(path.join(root, command[command.length - 1]))).toBe(true)
    const bundle = stages
      .find((s) => s.name === 'build')!
      .instructions.find((i) => i.args.includes('bundle-workflows'))!
    const bundleFile = /bundle-workflows\.ts (\S+)/.exec(bundle.args)![1]
    expect(runtimeEnv.HERALD_WORKFLOW_BUNDLE).toBe(`/app/${bundleFile}`)
    const healthcheck = runtimeStage.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args
    expect(healthcheck).toContain('/health')
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', 'data']))
  })

  test('nothing the api and worker load is a development dependency', () => {
    const runtime = [...closure.packages].filter((name) => !(name in packageJson.dependencies))
    expect(runtime).toEqual([])
    expect(packageJson.dependencies).toHaveProperty('tsx')
  })
})

/** The variables of server.yaml's template: `env "NAME"`. */
const templateVariables = new Set(
  [...read(path.join(temporalDeployDir, temporalDeployFiles.server)).matchAll(/env "(\w+)"/g)].map(
    (m) => m[1],
  ),
)

/** Where `npm run cluster` puts things, as a test would. */
const sample = {
  ports: {
    temporal: {
      frontend: { grpc: 17233, membership: 16933 },
      history: { grpc: 17234, membership: 16934 },
      matching: { grpc: 17235, membership: 16935 },
      worker: { grpc: 17239, membership: 16939 },
    },
    frontendHttp: 17243,
    ui: 18080,
    smtp: 11025,
    apis: [13000, 13001],
  } satisfies ClusterPorts,
  postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' },
  databases: { herald: 'h', temporal: 'h_temporal', visibility: 'h_temporal_visibility' },
}

/** What may differ between a container network and one host: addresses, ports, paths, database names. */
const hostSpecific = new Set([
  'TEMPORAL_SERVER_CONFIG_FILE_PATH',
  'DYNAMIC_CONFIG_FILE_PATH',
  'POSTGRES_SEEDS',
  'DB_PORT',
  'POSTGRES_USER',
  'POSTGRES_PWD',
  'DBNAME',
  'VISIBILITY_DBNAME',
  'BIND_ON_IP',
  'TEMPORAL_BROADCAST_ADDRESS',
  'FRONTEND_HTTP_PORT',
  ...temporalServices.flatMap((s) => [`${s.toUpperCase()}_GRPC_PORT`, `${s.toUpperCase()}_MEMBERSHIP_PORT`]),
  'LOG_LEVEL',
])

describe('compose parity: `npm run cluster` runs what docker-compose.yml would', () => {
  test('the same Temporal server, admin tools and UI versions', () => {
    const version = temporalServerVersion.replace(/^v/, '')
    for (const name of Object.values(composeServiceOf))
      expect({ name, image: services[name].image }).toEqual({
        name,
        image: `temporalio/server:\${TEMPORAL_VERSION:-${version}}`,
      })
    for (const job of ['temporal-schema', 'temporal-setup'])
      expect(services[job].image).toBe(`temporalio/admin-tools:\${TEMPORAL_ADMINTOOLS_VERSION:-${version}}`)
    expect(services['temporal-ui'].image).toBe(
      `temporalio/ui:\${TEMPORAL_UI_VERSION:-${temporalUiVersion.replace(/^v/, '')}}`,
    )
  })

  test('the same configuration files: compose mounts deploy/temporal, the cluster reads it in place', () => {
    for (const name of [...Object.values(composeServiceOf), 'temporal-schema', 'temporal-setup']) {
      const [source, target] = services[name].volumes![0].split(':')
      expect({ name, source }).toEqual({ name, source: `./${temporalDeployDir}` })
      if (name === 'temporal-setup') continue
      const env = environmentOf(name)
      expect(env.TEMPORAL_SERVER_CONFIG_FILE_PATH).toBe(`${target}/${temporalDeployFiles.server}`)
      expect(env.DYNAMIC_CONFIG_FILE_PATH).toBe(`${target}/${temporalDeployFiles.dynamicConfig}`)
    }
    for (const service of temporalServices) {
      const env = temporalServiceEnv(service, sample, compose)
      expect(env.TEMPORAL_SERVER_CONFIG_FILE_PATH).toBe(
        path.join(root, temporalDeployDir, temporalDeployFiles.server),
      )
      expect(env.DYNAMIC_CONFIG_FILE_PATH).toBe(
        path.join(root, temporalDeployDir, temporalDeployFiles.dynamicConfig),
      )
    }
    expect(services['temporal-schema'].command).toEqual([
      `/etc/temporal/herald/${temporalDeployFiles.schema}`,
    ])
    expect(services['temporal-setup'].command).toEqual([`/etc/temporal/herald/${temporalDeployFiles.setup}`])
    for (const file of Object.values(temporalDeployFiles))
      expect(fs.existsSync(path.join(root, temporalDeployDir, file))).toBe(true)
  })

  test('the same variables: each Temporal service’s, changed only where one host differs from a container network', () => {
    for (const service of temporalServices) {
      const fromCompose = environmentOf(composeServiceOf[service])
      const cluster = temporalServiceEnv(service, sample, compose)
      const changed = Object.keys(cluster).filter((name) => cluster[name] !== fromCompose[name])
      expect({ service, notHostSpecific: changed.filter((name) => !hostSpecific.has(name)) }).toEqual({
        service,
        notHostSpecific: [],
      })
      expect(cluster.TEMPORAL_SERVICES).toBe(service)
      // Every variable either sets is one the template reads (the server itself reads the first two).
      const serverReads = new Set(['TEMPORAL_SERVER_CONFIG_FILE_PATH', 'TEMPORAL_SERVICES'])
      for (const [where, env] of [
        ['compose', fromCompose],
        ['cluster', cluster],
      ] as const)
        expect({
          service,
          where,
          unread: Object.keys(env).filter((n) => !serverReads.has(n) && !templateVariables.has(n)),
        }).toEqual({
          service,
          where,
          unread: [],
        })
    }
    // Distinct ports, so that the four services share one host.
    const ports = Object.entries(temporalServiceEnv('frontend', sample, compose))
      .filter(([name]) => name.endsWith('_PORT') && name !== 'DB_PORT')
      .map(([, port]) => port)
    expect(new Set(ports).size).toBe(ports.length)
  })

  test('the same variables for the api and workers: compose’s, with this host’s addresses', () => {
    const fromCompose = environmentOf('api')
    const cluster = heraldServiceEnv(
      {
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/h',
        temporalAddress: '127.0.0.1:17233',
        uiUrl: 'http://localhost:18080',
        smtpUrl: 'smtp://127.0.0.1:11025',
        publicUrl: 'http://localhost:13000',
        sessionSecret: 'a-session-secret-of-32-characters!',
        workflowBundle: '/tmp/bundle.js',
      },
      operatorEnv,
      compose,
    )
    const changed = Object.keys(cluster).filter((name) => cluster[name] !== fromCompose[name])
    expect(changed.sort()).toEqual(
      [
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
        'TEMPORAL_UI_URL',
        'SMTP_URL',
        'HERALD_HOST',
        'HERALD_PUBLIC_URL',
        'HERALD_SESSION_SECRET',
        'HERALD_WORKFLOW_BUNDLE',
      ].sort(),
    )
    expect(loadConfig(cluster)).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/h',
      temporal: { address: '127.0.0.1:17233', namespace: 'default', taskQueue: 'herald' },
      smtp: { url: 'smtp://127.0.0.1:11025', poolSize: 5 },
    })
  })
})
