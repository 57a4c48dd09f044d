import {
  signatureHeaderValue,
  verifyWebhookSignature,
  webhookSignature,
} from '../../domain/webhook-signature'
import { deliveryEventsFor, runEventFor, webhookUrlProblem } from '../../domain/webhooks'

describe('webhook events of a delivery', () => {
  test('each lifecycle step raises its event', () => {
    const steps: [
      Parameters<typeof deliveryEventsFor>[0],
      Parameters<typeof deliveryEventsFor>[1],
      string[],
    ][] = [
      ['draft', { status: 'preparing' }, []],
      ['preparing', { status: 'awaiting_approval' }, ['delivery.prepared']],
      ['preparing', { status: 'ready' }, ['delivery.prepared']],
      ['preparing', { status: 'preparation_failed' }, []],
      ['awaiting_approval', { status: 'ready', approvedBy: 'ann' }, ['delivery.approved']],
      ['awaiting_approval', { status: 'draft' }, []],
      ['ready', { status: 'start_pending', confirmedBy: 'bob' }, ['delivery.confirmed']],
      ['ready', { status: 'sending', confirmedBy: 'bob' }, ['delivery.confirmed', 'delivery.sending']],
      ['start_pending', { status: 'sending' }, ['delivery.sending']],
      ['start_pending', { status: 'ready', confirmedBy: null }, []],
      ['sending', { status: 'paused' }, []],
      ['paused', { status: 'sending' }, ['delivery.sending']],
      ['sending', { status: 'retry_pending' }, []],
      ['retry_pending', { status: 'sending' }, []],
      ['sending', { status: 'finished' }, ['delivery.finished']],
      ['retry_pending', { status: 'failed' }, ['delivery.failed']],
      ['start_pending', { status: 'stopped' }, ['delivery.stopped']],
    ]
    for (const [previous, change, events] of steps)
      expect({ previous, change, events: deliveryEventsFor(previous, change) }).toEqual({
        previous,
        change,
        events,
      })
  })

  test('a change recorded twice (a local activity run again) raises nothing the second time', () => {
    expect(deliveryEventsFor('finished', { status: 'finished' })).toEqual([])
    expect(deliveryEventsFor('sending', { status: 'sending', confirmedBy: 'bob' })).toEqual([])
    expect(deliveryEventsFor('sending', { sendError: null } as never)).toEqual([])
  })

  test('recurring runs raise waiting_for_confirmation and expired, once', () => {
    expect(runEventFor('preparing', 'waiting_for_confirmation')).toBe(
      'recurring.run.waiting_for_confirmation',
    )
    expect(runEventFor('waiting_for_confirmation', 'expired')).toBe('recurring.run.expired')
    expect(runEventFor('expired', 'expired')).toBeNull()
    expect(runEventFor('sending', 'sent')).toBeNull()
  })
})

describe('webhook endpoint URLs', () => {
  test.each([
    ['https://ops.example.com/hooks?team=1', null],
    ['http://127.0.0.1:8080/', null],
    ['ftp://example.com/', 'must start with http:// or https://'],
    ['javascript:alert(1)', 'must start with http:// or https://'],
    ['/relative', 'not an absolute URL'],
    ['https://user:pw@example.com/', 'must not carry a user name or password'],
    ['https://example.com/#part', 'must not have a #fragment'],
  ])('%s → %s', (url, problem) => {
    expect(webhookUrlProblem(url)).toBe(problem)
  })

  test('a URL longer than 2,000 characters is refused', () => {
    expect(webhookUrlProblem(`https://example.com/${'a'.repeat(2000)}`)).toBe('longer than 2000 characters')
  })
})

describe('webhook signatures', () => {
  const secret = 'a webhook secret of some length'
  const body = '{"id":"1","type":"delivery.finished"}'
  const now = 1_800_000_000

  test('a signed body verifies, within the tolerance only', () => {
    const header = signatureHeaderValue(secret, now, body)
    expect(header).toBe(`t=${now},v1=${webhookSignature(secret, now, body)}`)
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: now + 299 })).toBe(true)
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: now + 301 })).toBe(false)
  })

  test('a forged or altered request is detected', () => {
    const header = signatureHeaderValue(secret, now, body)
    const check = (h: string | undefined, b = body) =>
      verifyWebhookSignature(secret, h, b, { nowSeconds: now })
    expect(check(header, body.replace('finished', 'failed'))).toBe(false)
    expect(check(signatureHeaderValue('another secret', now, body))).toBe(false)
    expect(check(header.replace(`t=${now}`, `t=${now - 1}`))).toBe(false)
    expect(check(`t=${now},v1=${'0'.repeat(64)}`)).toBe(false)
    expect(check(`t=${now},v1=zz`)).toBe(false)
    expect(check('garbage')).toBe(false)
    expect(check(undefined)).toBe(false)
    // Several v1 signatures (a secret being rotated): one valid is enough.
    expect(check(`t=${now},v1=${'0'.repeat(64)},v1=${webhookSignature(secret, now, body)}`)).toBe(true)
  })
})
