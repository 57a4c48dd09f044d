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

  test('no limit, no reservations', async () => {
    const reserve = jest.fn()
    const limiter = new SendRateLimiter(0, reserve)
    await limiter.take()
    expect(reserve).not.toHaveBeenCalled()
  })
})
