import { requireTrackingSecret, type HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import type { ActivityDeps } from '../activities'
import { createMailer } from '../mail/transport'
import { SendRateLimiter } from '../mail/rate-limiter'
import { reserveSlots } from '../persistence/rate-limit'

/** The activities' real dependencies, from configuration. */
export function createActivityDeps(db: Database, config: HeraldConfig): ActivityDeps {
  const rateLimiter = new SendRateLimiter(config.rateLimitPerSecond, (count, intervalMs, now) =>
    reserveSlots(db, 'global', count, intervalMs, now),
  )
  return {
    db,
    mailer: createMailer(config.smtp.url, config.smtp.poolSize),
    rateLimiter,
    messageIdDomain: config.smtp.messageIdDomain,
    defaultFrom: config.smtp.from,
    tracking: { secret: requireTrackingSecret(config), publicUrl: config.api.publicUrl },
    quarantine: config.quarantine,
    alerts: config.alerts,
    webhooks: config.webhooks,
  }
}
