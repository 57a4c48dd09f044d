/**
 * A worker's view of the global send rate: takes slots reserved in the shared database (in chunks of
 * about 100 ms worth) and waits for each slot's time. Slots left unused in the past are dropped, never
 * spent late, so no burst can exceed the limit.
 */
export class SendRateLimiter {
  private slots: number[] = []
  private refilling: Promise<void> | null = null
  private readonly intervalMs: number
  private readonly chunk: number

  constructor(
    private readonly perSecond: number,
    private readonly reserve: (count: number, intervalMs: number, now: number) => Promise<number>,
    private readonly now: () => number = Date.now,
  ) {
    // Aim 3 % under the limit: a message leaves its slot after a database write and an SMTP exchange
    // whose duration varies, and that jitter must not push any one second over the limit.
    this.intervalMs = perSecond > 0 ? 1000 / (perSecond * 0.97) : 0
    this.chunk = Math.max(1, Math.ceil(perSecond / 10))
  }

  get limited(): boolean {
    return this.perSecond > 0
  }

  async take(): Promise<void> {
    if (!this.limited) return
    for (;;) {
      const now = this.now()
      while (this.slots.length && this.slots[0] < now - this.intervalMs) this.slots.shift()
      const slot = this.slots.shift()
      if (slot !== undefined) {
        if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now))
        return
      }
      this.refilling ??= this.refill().finally(() => (this.refilling = null))
      await this.refilling
    }
  }

  private async refill(): Promise<void> {
    const first = await this.reserve(this.chunk, this.intervalMs, this.now())
    for (let i = 0; i < this.chunk; i++) this.slots.push(first + i * this.intervalMs)
  }
}
