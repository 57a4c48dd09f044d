import { SendRateLimiter } from '../../mail/rate-limiter'

describe('send rate limiter', () => {
  test('spends reserved slots at their time, never earlier', async () => {
    let next = 0
    const reserve = async (count: number, intervalMs: number, now: number) => {
      const first = Math.max(next, now)
      next = first + Math.ceil(count * intervalMs)
      return first
    }
    const limiter = new SendRateLimiter(100, reserve)
    const start = Date.now()
    const times: number[] = []
    for (let i = 0; i < 30; i++) {
      await limiter.take()
      times.push(Date.now() - start)
    }
    // 30 messages at 100/s take at least 290 ms
    expect(times[29]).toBeGreaterThanOrEqual(280)
  })

  test('slots left unused in the past are dropped, not spent in a burst', async () => {
    const firsts: number[] = []
    let clock = 0
    const limiter = new SendRateLimiter(
      100,
      async (count, intervalMs, now) => {
        firsts.push(now)
        return now
      },
      () => clock,
    )
    await limiter.take() // reserves 10 slots (100/s → 100 ms worth), uses the first
    clock = 5000
    await limiter.take()
    expect(firsts).toEqual([0, 5000])
  })

  test('it is a limit, not a trickle: slots are reserved back to back, one interval apart, at 97 % of the limit', async () => {
    let clock = 0
    const reservations: { count: number; intervalMs: number; first: number }[] = []
    let next = 0
    const limiter = new SendRateLimiter(
      60,
      async (count, intervalMs, now) => {
        const first = Math.max(next, now)
        next = first + count * intervalMs
        reservations.push({ count, intervalMs, first })
        return first
      },
      () => clock,
    )
    // A clock that follows the slots: every take finds its slot due, so the test waits for nothing.
    for (let i = 0; i < 60; i++) {
      await limiter.take()
      clock = next
    }
    const interval = 1000 / (60 * 0.97)
    expect(reservations.every((r) => r.intervalMs === interval)).toBe(true)
    expect(reservations.reduce((n, r) => n + r.count, 0)).toBeGreaterThanOrEqual(60)
    // Each reservation starts where the previous one ended: no gap, 60 messages within 60 intervals.
    for (let i = 1; i < reservations.length; i++)
      expect(reservations[i].first).toBeCloseTo(
        reservations[i - 1].first + reservations[i - 1].count * interval,
        6,
      )
  })

  test('no limit, no reservations', async () => {
    const reserve = jest.fn()
    const limiter = new SendRateLimiter(0, reserve)
    await limiter.take()
    expect(reserve).not.toHaveBeenCalled()
  })
})
