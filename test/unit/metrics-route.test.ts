import { Hono } from 'hono'
import { metricsRoute } from '../../api/metrics-route'
import { toResponse } from '../../api/errors'
import { countMessages, messagesTotal, messageFailuresTotal } from '../../observability/metrics'

const appWith = (token?: string) => {
  const app = new Hono()
  app.onError((err, c) => toResponse(err, c))
  app.get('/metrics', metricsRoute(token))
  return app
}

describe('GET /metrics', () => {
  test('is open without HERALD_METRICS_TOKEN, in Prometheus text', async () => {
    const res = await appWith().request('/metrics')
    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/^# HELP herald_messages_total /m)
  })

  test('with a token, refuses a missing or wrong one with 401 and serves the right one', async () => {
    const app = appWith('scrape-token-123')
    expect((await app.request('/metrics')).status).toBe(401)
    const wrong = await app.request('/metrics', { headers: { authorization: 'Bearer scrape-token-12' } })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } })
    const right = await app.request('/metrics', { headers: { authorization: 'Bearer scrape-token-123' } })
    expect(right.status).toBe(200)
  })
})

describe('herald_messages_total', () => {
  const value = async (metric: typeof messagesTotal | typeof messageFailuresTotal, label: string) =>
    (await metric.get()).values.find((v) => Object.values(v.labels).includes(label))?.value ?? 0

  test('counts a status as written, retry as retried, and failures by type', async () => {
    const before = {
      sent: await value(messagesTotal, 'sent'),
      retried: await value(messagesTotal, 'retried'),
      hard: await value(messageFailuresTotal, 'hard'),
      soft: await value(messageFailuresTotal, 'soft'),
    }
    countMessages('sent', 3)
    countMessages('retry', 2)
    countMessages('failed', 1, 'hard')
    countMessages('sent', 0)
    countMessages('pending', 5)
    expect(await value(messagesTotal, 'sent')).toBe(before.sent + 3)
    expect(await value(messagesTotal, 'retried')).toBe(before.retried + 2)
    expect(await value(messageFailuresTotal, 'hard')).toBe(before.hard + 1)
    expect(await value(messageFailuresTotal, 'soft')).toBe(before.soft + 2)
  })
})
