import type { HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import { createMailer } from '../mail/transport'
import { watchDeliveries } from '../activities/alerts'
import { logger } from '../observability/logger'

export interface AlertWatchdog {
  /** One look now (tests; the interval looks on its own). */
  check(): Promise<void>
  stop(): Promise<void>
}

/**
 * The API process's alert watchdog: every `HERALD_ALERT_CHECK_INTERVAL` it looks in the database for
 * confirmed deliveries that have not started (`start_pending`) and for sends below the minimum rate
 * (`min_rate`). It runs beside the API, not in a worker, because the usual cause of a send that does
 * not start is that no worker runs. API replicas each run one; an alert is still recorded once.
 */
export function startAlertWatchdog(deps: {
  db: Database
  config: HeraldConfig
  clock?: () => Date
}): AlertWatchdog {
  const { config } = deps
  // Alerts are few: one connection through the relay the deliveries use.
  const mailer = createMailer(config.smtp.url, 1)
  const watch = {
    db: deps.db,
    mailer,
    defaultFrom: config.smtp.from,
    alerts: config.alerts,
    watch: config.alerts,
    clock: deps.clock ?? (() => new Date()),
  }
  let looking: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | null = null
  let stopped = false

  const check = () => {
    // One look at a time: a slow database makes the next one wait, never overlap.
    looking = looking.then(() =>
      watchDeliveries(watch).catch((err: unknown) =>
        logger.warn({ err }, 'the alert watchdog could not look at the deliveries'),
      ),
    )
    return looking
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => void check().then(schedule), config.alerts.checkIntervalMs)
    timer.unref()
  }
  schedule()

  return {
    check,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await looking
      mailer.close()
    },
  }
}
