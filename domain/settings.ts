/**
 * Every duration and size a delivery workflow uses is an input, fixed when the delivery is created,
 * so production runs hours and days while tests run seconds.
 */
export interface DeliverySettings {
  /** Recipients per send activity. */
  batchSize: number
  /**
   * Batch activities scheduled at once for one delivery. Each worker sends one batch at a time (the send
   * queue), so this is how many workers can share one delivery.
   */
  batchWindow: number
  /** Soft failures are retried until this long after sending started, then fail. */
  validityMs: number
  /** Wait between two attempts at a soft-failed message. */
  retryIntervalMs: number
  /** Start a new run of the workflow (continue-as-new) after this many batches, to bound its history. */
  batchesPerRun: number
  /** After the send, open and click rates are refreshed this often… */
  statsIntervalMs: number
  /** …until this long after sending ended (the tracking period). */
  trackingPeriodMs: number
  /** The stats workflow continues as new after this many refreshes, to bound its history. */
  statsRefreshesPerRun: number
}

export const defaultDeliverySettings: DeliverySettings = {
  batchSize: 500,
  batchWindow: 8,
  validityMs: 3 * 24 * 3600_000,
  retryIntervalMs: 3600_000,
  batchesPerRun: 500,
  statsIntervalMs: 3600_000,
  trackingPeriodMs: 30 * 24 * 3600_000,
  statsRefreshesPerRun: 100,
}
