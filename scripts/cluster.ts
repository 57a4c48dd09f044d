import path from 'node:path'
import { startCluster } from '../runtime/cluster'

/**
 * `npm run cluster`: docker-compose.yml's topology without Docker, on the local PostgreSQL (see README,
 * "Production"). Ctrl-C stops everything it started; starting again keeps the databases.
 */
async function run() {
  const env = process.env
  const dataDir = path.resolve(env.HERALD_CLUSTER_DIR ?? 'data/cluster')
  const started = Date.now()
  const cluster = await startCluster({
    dataDir,
    databasePrefix: env.HERALD_CLUSTER_DATABASES ?? 'herald_cluster',
    postgresUrl: env.HERALD_CLUSTER_POSTGRES_URL,
    apis: count('HERALD_CLUSTER_APIS', 2),
    workers: count('HERALD_CLUSTER_WORKERS', 3),
    shellEnv: env,
    sink: { keepMail: true },
    log: (line) => console.log(`[cluster] ${line}`),
  })
  const { ports } = cluster
  const temporalPids = Object.entries(cluster.temporal).map(([name, p]) => `${name} ${p.pid}`)
  console.log(`
Herald's production topology is running (${Math.round((Date.now() - started) / 1000)} s).
  API replicas        ${cluster.apiUrls.join('  ')}   (dashboard and /api/docs on each)
  Temporal            ${cluster.temporalAddress}   services: ${temporalPids.join(', ')}
  Temporal UI         ${cluster.uiUrl ?? 'not available (it could not be built here)'}
  Workers             ${cluster.workers.map((w) => `${w.name} ${w.pid}`).join(', ')}
  SMTP sink           ${cluster.sink.url}   messages in ${path.join(dataDir, 'mail')}
  PostgreSQL          ${Object.values(cluster.databases).join(', ')}
  Logs                ${path.join(dataDir, 'logs')}
  Ports               Temporal gRPC ${Object.values(ports.temporal)
    .map((p) => p.grpc)
    .join(', ')}; membership ${Object.values(ports.temporal)
    .map((p) => p.membership)
    .join(', ')}

Demo API tokens (Authorization: Bearer <token>), also in ${path.join(dataDir, 'demo-tokens.json')}:
${Object.entries(cluster.tokens)
  .map(([role, token]) => `  ${role.padEnd(9)} ${token}`)
  .join('\n')}

Ctrl-C stops everything.`)
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      console.log('\n[cluster] stopping…')
      void cluster.stop().then(() => process.exit(0))
    })
}

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`)
  return value
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
