import crypto from 'node:crypto'
import net from 'node:net'
import ms from 'ms'
import { defaultDeliverySettings, type DeliverySettings } from '../domain/settings'
import type { DeliveryGuarantee } from '../domain/sending'
import { defaultQuarantineRules, type QuarantineRules } from '../domain/quarantine'
import type { AlertWatchSettings } from '../domain/alerts'

/** All of Herald's settings, from environment variables (see README "Configuration"). */
export interface HeraldConfig {
  databaseUrl: string
  temporal: {
    address: string
    namespace: string
    taskQueue: string
    /** Put before every workflow id, for Herald installations that share a namespace. */
    workflowIdPrefix: string
    /** TLS for a managed Temporal: on when an API key or a client certificate is given. */
    tls: {
      enabled: boolean
      serverName?: string
      clientCertPath?: string
      clientKeyPath?: string
      /** The CA of a self-hosted Temporal's frontend certificate (mTLS); the system's CAs otherwise. */
      serverCaPath?: string
    }
    apiKey?: string
    uiUrl: string
    /** How long a read waits for Temporal to describe a schedule before it shows the state last recorded. */
    readTimeoutMs: number
  }
  smtp: { url: string; poolSize: number; from: string; messageIdDomain: string }
  /**
   * `requestTimeoutMs`: a request still unanswered after this gets 504 (the API's Temporal commands give up at 20 s).
   * `trustProxy`: addresses and subnets (CIDR) of the reverse proxies whose `X-Forwarded-Proto` Herald believes.
   */
  api: { host: string; port: number; publicUrl: string; requestTimeoutMs: number; trustProxy: string[] }
  /**
   * Dashboard sessions: signed cookies. Without a secret each process makes its own, so logins end at
   * a restart and do not carry over between API replicas; set one for those.
   */
  dashboard: { sessionSecret: string; sessionTtlMs: number }
  /** Messages per second across every delivery and every worker; 0 means no limit. */
  rateLimitPerSecond: number
  /** Approval must come from someone other than the delivery's creator. */
  approverMustDiffer: boolean
  /**
   * `always`: every delivery waits for approval. `optional`: a creator who holds the approve role may
   * create one that does not (`requireApproval: false`).
   */
  approval: ApprovalPolicy
  /** Approval waits for a proof of the delivery's current content (a delivery may ask it for itself). */
  requireProof: boolean
  /** For deliveries that do not choose: resend in-doubt messages, or leave them unsent. */
  defaultGuarantee: DeliveryGuarantee
  delivery: DeliverySettings
  /** Signs tracking links; API and workers must share it. Required outside the embedded default. */
  trackingSecret: string | null
  /** Tracking hits the API holds in memory while the database is down; beyond that a hit gets 503. */
  trackingBuffer: number
  quarantine: QuarantineRules
  alerts: AlertConfig
  /** Recurring deliveries may not run more often than this (10 minutes; tests use seconds). */
  minRecurrenceMs: number
  /**
   * CSV profile imports: files of up to `syncRows` rows are applied within the request, larger ones by a
   * workflow in chunks of `chunkRows` lines; a file may be up to `maxBytes`. An upload still staging
   * `stagingTimeoutMs` after it began was abandoned (the API stopped): the next upload discards it.
   */
  imports: { syncRows: number; chunkRows: number; maxBytes: number; stagingTimeoutMs: number }
  /**
   * The `herald-retention` schedule, every `intervalMs`: logs of deliveries ended more than `logRetentionMs`
   * ago are purged, `batchSize` rows a statement; soft quarantines older than `quarantineReleaseMs` released.
   */
  retention: { logRetentionMs: number; quarantineReleaseMs: number; intervalMs: number; batchSize: number }
  webhooks: WebhookSettings
}

/** Delivery alerts (README "How it works", Alerts). */
export interface AlertConfig extends AlertWatchSettings {
  /** A delivery whose bounces exceed this share of processed messages raises an alert. */
  bounceRatio: number
  /** Who receives alerts by email (none: alerts are only recorded). */
  emails: string[]
  /** How often each API process's watchdog looks for deliveries pending or sending too slowly. */
  checkIntervalMs: number
}

/** Outgoing webhooks (README "Webhooks"). */
export interface WebhookSettings {
  /** An event not accepted by its endpoint within this long after it happened is given up (recorded as abandoned). */
  retryPeriodMs: number
  /** One POST waits this long (at most 30 s) for an answer before it counts as failed and is retried. */
  requestTimeoutMs: number
  /** An endpoint with nothing to deliver looks for new events this often. */
  pollIntervalMs: number
}

type Env = Record<string, string | undefined>

export const approvalPolicies = ['always', 'optional'] as const
export type ApprovalPolicy = (typeof approvalPolicies)[number]

function duration(env: Env, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = /^\d+$/.test(raw) ? Number(raw) : ms(raw as ms.StringValue)
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a duration such as 30s, 10m or 3d (got '${raw}')`)
  }
  return value
}

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min} (got '${raw}')`)
  return value
}

function ratio(env: Env, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw)
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new Error(`${name} must be a ratio such as 0.05 or 5% (got '${raw}')`)
  return value
}

/** A number ≥ 0, decimals allowed (a rate). */
function decimal(env: Env, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0 (got '${raw}')`)
  return value
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  return ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())
}

/** A URL with its password (if any) replaced by `***`, fit for a log line or an error message. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@]*:)[^/?#]*@/i, '$1***@')
}

/**
 * A URL setting, checked here so that a malformed one stops the process with a message that names the
 * variable — and not with Node's own error, which prints the whole URL, password included.
 */
function url(env: Env, name: string, fallback: string, schemes: RegExp): string {
  const raw = env[name] ?? fallback
  if (!schemes.test(raw)) return raw
  try {
    new URL(raw)
  } catch {
    throw new Error(`${name} is not a valid URL: ${withoutPassword(raw)}`)
  }
  return raw
}

/** `HERALD_TRUST_PROXY`: IP addresses and CIDR subnets, comma separated; empty trusts no proxy. */
function proxies(env: Env, name: string): string[] {
  const list = (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  for (const entry of list) {
    const [address, bits, extra] = entry.split('/')
    const family = net.isIP(address)
    const maxBits = family === 6 ? 128 : 32
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits)
    if (!family || !validBits || extra !== undefined)
      throw new Error(`${name} takes IP addresses and CIDR subnets, comma separated (got '${entry}')`)
  }
  return list
}

function approvalPolicy(env: Env, name: string): ApprovalPolicy {
  const raw = env[name] || 'always'
  if (!(approvalPolicies as readonly string[]).includes(raw))
    throw new Error(`${name} must be always or optional (got '${raw}')`)
  return raw as ApprovalPolicy
}

/**
 * Values of HERALD_TRACKING_SECRET that have been written in Herald's own files (the compose file, the
 * README, tests): public, so they sign nothing.
 */
export const knownDemoTrackingSecrets: readonly string[] = [
  'compose-demo-tracking-secret-change-me',
  'unit-test-tracking-secret',
  'a-test-secret-of-enough-length',
]

/** A tracking secret has at least this many characters and this estimated entropy. */
export const trackingSecretRule = { minLength: 32, minEntropyBits: 128 } as const

/**
 * An estimate of a secret's entropy: the Shannon entropy of its characters (bits per character, from how
 * often each occurs) times its length, a repeat of three or more earlier characters counting as one
 * (an LZ77 parse). It catches repeated characters, repeated patterns and small alphabets, not words or
 * runs like "abcdef" — which is why the README says to generate the secret.
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret].slice(0, 1024)
  const counts = new Map<string, number>()
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let bitsPerCharacter = 0
  for (const n of counts.values()) bitsPerCharacter -= (n / chars.length) * Math.log2(n / chars.length)
  let symbols = 0
  for (let i = 0; i < chars.length; symbols++) i += Math.max(longestEarlierMatch(chars, i), 1)
  return symbols * bitsPerCharacter
}

/** The length of the longest repeat (three characters or more) at `i` of characters seen before it. */
function longestEarlierMatch(chars: string[], i: number): number {
  let longest = 0
  for (let j = 0; j < i; j++) {
    let n = 0
    while (i + n < chars.length && chars[j + n] === chars[i + n]) n++
    longest = Math.max(longest, n)
  }
  return longest >= 3 ? longest : 0
}

const trackingSecretAdvice =
  `at least ${trackingSecretRule.minLength} random characters with an estimated entropy of ` +
  `${trackingSecretRule.minEntropyBits} bits or more (length × the Shannon entropy of its characters), ` +
  'e.g. the output of `openssl rand -base64 32`, the same for the API and every worker'

/** Why this tracking secret must not sign links, or null when it may. Never says the secret itself. */
export function trackingSecretProblem(secret: string): string | null {
  if (knownDemoTrackingSecrets.includes(secret.trim())) return 'a demo value published in Herald’s files'
  const length = [...secret].length
  if (length < trackingSecretRule.minLength) return `too short (${length} characters)`
  const bits = Math.floor(estimatedEntropyBits(secret))
  if (bits < trackingSecretRule.minEntropyBits) return `too predictable (an estimated ${bits} bits)`
  return null
}

function checkedTrackingSecret(secret: string): string {
  const problem = trackingSecretProblem(secret)
  if (problem) throw new Error(`HERALD_TRACKING_SECRET is ${problem}: set ${trackingSecretAdvice}`)
  return secret
}

/** API and workers sign and check tracking links with one shared secret: without it they refuse to start. */
export function requireTrackingSecret(config: Pick<HeraldConfig, 'trackingSecret'>): string {
  if (!config.trackingSecret) throw new Error(`HERALD_TRACKING_SECRET must be set: ${trackingSecretAdvice}`)
  return checkedTrackingSecret(config.trackingSecret)
}

export function loadConfig(env: Env = process.env): HeraldConfig {
  const port = integer(env, 'HERALD_PORT', 3000, 1)
  const host = env.HERALD_HOST ?? '127.0.0.1'
  const apiKey = env.TEMPORAL_API_KEY || undefined
  const clientCertPath = env.TEMPORAL_TLS_CERT || undefined
  const guarantee = env.HERALD_GUARANTEE ?? 'at_least_once'
  if (guarantee !== 'at_least_once' && guarantee !== 'at_most_once') {
    throw new Error(`HERALD_GUARANTEE must be at_least_once or at_most_once (got '${guarantee}')`)
  }
  const sessionSecret = env.HERALD_SESSION_SECRET || crypto.randomBytes(32).toString('base64url')
  if (sessionSecret.length < 32) throw new Error('HERALD_SESSION_SECRET must be at least 32 characters')
  return {
    databaseUrl: url(env, 'DATABASE_URL', 'sqlite:data/herald.sqlite', /^postgres(ql)?:/i),
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'herald',
      workflowIdPrefix: env.HERALD_WORKFLOW_ID_PREFIX ?? '',
      tls: {
        enabled: flag(env, 'TEMPORAL_TLS', Boolean(apiKey || clientCertPath || env.TEMPORAL_TLS_CA)),
        serverName: env.TEMPORAL_TLS_SERVER_NAME || undefined,
        clientCertPath,
        clientKeyPath: env.TEMPORAL_TLS_KEY || undefined,
        serverCaPath: env.TEMPORAL_TLS_CA || undefined,
      },
      apiKey,
      uiUrl: env.TEMPORAL_UI_URL ?? 'http://localhost:8233',
      readTimeoutMs: duration(env, 'TEMPORAL_READ_TIMEOUT', 8_000),
    },
    smtp: {
      url: url(env, 'SMTP_URL', 'smtp://127.0.0.1:2525', /^/),
      poolSize: integer(env, 'SMTP_POOL_SIZE', 5, 1),
      from: env.SMTP_FROM ?? 'Herald <herald@localhost>',
      messageIdDomain: env.HERALD_MESSAGE_ID_DOMAIN ?? 'herald.localhost',
    },
    api: {
      host,
      port,
      publicUrl: env.HERALD_PUBLIC_URL ?? `http://localhost:${port}`,
      requestTimeoutMs: duration(env, 'HERALD_REQUEST_TIMEOUT', 30_000),
      trustProxy: proxies(env, 'HERALD_TRUST_PROXY'),
    },
    dashboard: {
      sessionSecret,
      sessionTtlMs: duration(env, 'HERALD_SESSION_TTL', 12 * 3600_000),
    },
    rateLimitPerSecond: integer(env, 'HERALD_RATE_LIMIT', 0),
    approverMustDiffer: flag(env, 'HERALD_APPROVER_MUST_DIFFER', false),
    approval: approvalPolicy(env, 'HERALD_APPROVAL'),
    requireProof: flag(env, 'HERALD_REQUIRE_PROOF', false),
    defaultGuarantee: guarantee,
    delivery: {
      batchSize: integer(env, 'HERALD_BATCH_SIZE', defaultDeliverySettings.batchSize, 1),
      batchWindow: integer(env, 'HERALD_BATCH_WINDOW', defaultDeliverySettings.batchWindow, 1),
      validityMs: duration(env, 'HERALD_VALIDITY', defaultDeliverySettings.validityMs),
      retryIntervalMs: duration(env, 'HERALD_RETRY_INTERVAL', defaultDeliverySettings.retryIntervalMs),
      batchesPerRun: integer(env, 'HERALD_BATCHES_PER_RUN', defaultDeliverySettings.batchesPerRun, 1),
      statsIntervalMs: duration(env, 'HERALD_STATS_INTERVAL', defaultDeliverySettings.statsIntervalMs),
      trackingPeriodMs: duration(env, 'HERALD_TRACKING_PERIOD', defaultDeliverySettings.trackingPeriodMs),
      statsRefreshesPerRun: integer(
        env,
        'HERALD_STATS_REFRESHES_PER_RUN',
        defaultDeliverySettings.statsRefreshesPerRun,
        1,
      ),
    },
    trackingSecret: env.HERALD_TRACKING_SECRET ? checkedTrackingSecret(env.HERALD_TRACKING_SECRET) : null,
    trackingBuffer: integer(env, 'HERALD_TRACKING_BUFFER', 50_000, 1),
    quarantine: {
      maxErrors: integer(env, 'HERALD_QUARANTINE_ERRORS', defaultQuarantineRules.maxErrors, 1),
      significantGapMs: duration(env, 'HERALD_QUARANTINE_GAP', defaultQuarantineRules.significantGapMs),
      resetAfterMs: duration(env, 'HERALD_QUARANTINE_RESET', defaultQuarantineRules.resetAfterMs),
    },
    alerts: {
      bounceRatio: ratio(env, 'HERALD_ALERT_BOUNCE_RATIO', 0.05),
      emails: (env.HERALD_ALERT_EMAILS ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
      startPendingMs: duration(env, 'HERALD_ALERT_START_PENDING', 30 * 60_000),
      minRatePerMinute: decimal(env, 'HERALD_ALERT_MIN_RATE', 0),
      minRateWindowMs: Math.max(duration(env, 'HERALD_ALERT_MIN_RATE_WINDOW', 10 * 60_000), 1000),
      checkIntervalMs: Math.max(duration(env, 'HERALD_ALERT_CHECK_INTERVAL', 60_000), 200),
    },
    minRecurrenceMs: Math.max(duration(env, 'HERALD_MIN_RECURRENCE', 10 * 60_000), 1000),
    imports: {
      syncRows: integer(env, 'HERALD_IMPORT_SYNC_ROWS', 10_000),
      chunkRows: integer(env, 'HERALD_IMPORT_CHUNK_ROWS', 5_000, 1),
      maxBytes: integer(env, 'HERALD_IMPORT_MAX_BYTES', 1024 ** 3, 1),
      stagingTimeoutMs: duration(env, 'HERALD_IMPORT_STAGING_TIMEOUT', 24 * 3600_000),
    },
    retention: {
      logRetentionMs: duration(env, 'HERALD_LOG_RETENTION', 180 * 24 * 3600_000),
      quarantineReleaseMs: duration(env, 'HERALD_QUARANTINE_RELEASE', 30 * 24 * 3600_000),
      intervalMs: Math.max(duration(env, 'HERALD_RETENTION_INTERVAL', 3600_000), 1000),
      batchSize: integer(env, 'HERALD_RETENTION_BATCH', 1_000, 1),
    },
    webhooks: {
      retryPeriodMs: duration(env, 'HERALD_WEBHOOK_RETRY_PERIOD', 3 * 24 * 3600_000),
      requestTimeoutMs: Math.min(Math.max(duration(env, 'HERALD_WEBHOOK_TIMEOUT', 10_000), 100), 30_000),
      pollIntervalMs: Math.max(duration(env, 'HERALD_WEBHOOK_POLL_INTERVAL', 2_000), 100),
    },
  }
}
