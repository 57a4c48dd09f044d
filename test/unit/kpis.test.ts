import { bounceRatioExceeded, computeKpis } from '../../domain/kpis'

describe('KPI formulas', () => {
  test('processed is delivered plus failed; delivered and bounce rates are over processed', () => {
    const kpis = computeKpis({ toDeliver: 200, delivered: 90, failed: 10, uniqueOpens: 0, uniqueClicks: 0 })
    expect(kpis).toMatchObject({
      messagesToDeliver: 200,
      processed: 100,
      delivered: 90,
      bounces: 10,
      deliveredRate: 90,
      bounceRate: 10,
      progress: 50,
    })
  })

  test('open and click rates are unique profiles over delivered messages', () => {
    const kpis = computeKpis({ toDeliver: 8, delivered: 6, failed: 2, uniqueOpens: 3, uniqueClicks: 1 })
    expect(kpis).toMatchObject({ opens: 3, clicks: 1, openRate: 50, clickRate: 16.67 })
  })

  test('nothing processed or delivered yet gives rates of zero, not NaN', () => {
    expect(
      computeKpis({ toDeliver: 0, delivered: 0, failed: 0, uniqueOpens: 0, uniqueClicks: 0 }),
    ).toMatchObject({
      deliveredRate: 0,
      bounceRate: 0,
      openRate: 0,
      clickRate: 0,
      progress: 0,
    })
  })

  test('the bounce alert fires only above the ratio', () => {
    expect(bounceRatioExceeded({ delivered: 95, failed: 5 }, 0.05)).toBe(false)
    expect(bounceRatioExceeded({ delivered: 94, failed: 6 }, 0.05)).toBe(true)
    expect(bounceRatioExceeded({ delivered: 0, failed: 0 }, 0.05)).toBe(false)
  })
})
