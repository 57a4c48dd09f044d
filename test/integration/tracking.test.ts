import type { ParsedMail } from 'mailparser'
import { importProfiles, readyDelivery, sleep, startHarness, type Harness } from '../support/harness'

/**
 * Opens, clicks, unsubscribes and mirror pages, from the messages the SMTP sink received, through the
 * app's tracking endpoints; the KPIs move after Compute stats and after one stats interval.
 */
describe('tracking opens and clicks', () => {
  let h: Harness
  const statsIntervalMs = 1500
  beforeAll(async () => {
    h = await startHarness({ settings: { statsIntervalMs, trackingPeriodMs: 5 * 60_000 } })
  })
  afterAll(() => h?.close())

  const html =
    '<html><body><p>Hi {{firstName}}!</p><p><a href="https://shop.example.com/offer?id=1&amp;src=mail">Offer</a> ' +
    '<a href="https://shop.example.com/u/{{attributes.plan}}">Your plan</a> <a href="mailto:help@example.com">help</a></p></body></html>'

  /** A finished tracked delivery to `count` new profiles. */
  async function sentDelivery(count: number, extra: Record<string, unknown> = {}) {
    const ids = await importProfiles(h, count, () => ({ attributes: { plan: 'pro' } }))
    const id = await readyDelivery(h, ids, { html, tracking: true, ...extra })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: count } })
    await h.waitForStatus(id, 'finished')
    return { id, ids }
  }

  /** The message one profile received, parsed as the sink got it. */
  async function messageTo(deliveryId: number, profileId: number): Promise<ParsedMail> {
    const received = h.sink.messages.find(
      (m) => m.messageId === `<herald.d${deliveryId}.p${profileId}@herald.localhost>`,
    )
    if (!received) throw new Error(`no message for profile ${profileId}`)
    return h.sink.parsed(received.seq)
  }

  const links = (mail: ParsedMail) => {
    const body = String(mail.html)
    return {
      clicks: [...body.matchAll(/href="([^"]*\/t\/c\/[^"]+)"/g)].map((m) => m[1]),
      mirror: /href="([^"]*\/t\/m\/[^"]+)"/.exec(body)![1],
      unsubscribePage: /href="([^"]*\/t\/u\/[^"]+)"/.exec(body)![1],
      pixel: /<img src="([^"]*\/t\/o\/[^"]+)"/.exec(body)![1],
    }
  }

  /** A hit, then its row stored: opens are answered first and stored with the next batch. */
  const visit = async (url: string, init?: RequestInit) => {
    const response = await h.app.request(url, {
      ...init,
      headers: { 'user-agent': 'TestMail/1.0', ...init?.headers },
    })
    await h.app.drain()
    return response
  }
  const kpis = async (id: number) =>
    (await h.api('GET', `/api/deliveries/${id}/kpis`, { as: 'viewer' })).body.kpis
  const trackingLogs = async (id: number) =>
    (await h.api('GET', `/api/deliveries/${id}/tracking-logs`, { as: 'viewer' })).body

  test('opening the pixel and following a link move the KPIs after Compute stats and after one stats interval', async () => {
    const { id, ids } = await sentDelivery(4)
    expect(await kpis(id)).toMatchObject({
      delivered: 4,
      processed: 4,
      deliveredRate: 100,
      opens: 0,
      openRate: 0,
    })

    const first = links(await messageTo(id, ids[0]))
    const opened = await visit(first.pixel)
    expect(opened.status).toBe(200)
    expect(opened.headers.get('content-type')).toBe('image/gif')
    expect(opened.headers.get('cache-control')).toContain('no-cache')
    expect((await opened.arrayBuffer()).byteLength).toBeLessThan(100)

    const computed = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as: 'approve' })
    expect(computed.status).toBe(200)
    expect(computed.body.kpis).toMatchObject({ delivered: 4, opens: 1, openRate: 25, clicks: 0 })
    expect(await kpis(id)).toMatchObject({ opens: 1, openRate: 25 })

    // The second profile clicks without loading images: the click counts as an open too.
    const second = links(await messageTo(id, ids[1]))
    const clicked = await visit(second.clicks[0])
    expect(clicked.status).toBe(302)
    expect(clicked.headers.get('location')).toBe('https://shop.example.com/offer?id=1&src=mail')
    const deadline = Date.now() + 10 * statsIntervalMs
    while ((await kpis(id)).clicks < 1 && Date.now() < deadline) await sleep(200)
    expect(await kpis(id)).toMatchObject({ opens: 2, openRate: 50, clicks: 1, clickRate: 25 })

    const logs = await trackingLogs(id)
    expect(logs.items).toEqual([
      expect.objectContaining({ profileId: ids[0], type: 'open', url: null, userAgent: 'TestMail/1.0' }),
      expect.objectContaining({
        profileId: ids[1],
        type: 'click',
        url: 'https://shop.example.com/offer?id=1&src=mail',
      }),
    ])
    const series = (await h.api('GET', `/api/deliveries/${id}/tracking-series`, { as: 'viewer' })).body.points
    expect(series.reduce((sum: number, p: { opens: number }) => sum + p.opens, 0)).toBe(2)
    expect(series.reduce((sum: number, p: { clicks: number }) => sum + p.clicks, 0)).toBe(1)
    expect(new Date(series[0].at).getTime()).toBeLessThanOrEqual(Date.now())
    const urls = (await h.api('GET', `/api/deliveries/${id}/tracked-urls`, { as: 'viewer' })).body.items
    expect(urls).toEqual([
      { linkNo: 1, url: 'https://shop.example.com/offer?id=1&src=mail', clicks: 1, uniqueClicks: 1 },
      { linkNo: 2, url: 'https://shop.example.com/u/{{attributes.plan}}', clicks: 0, uniqueClicks: 0 },
    ])
  })

  test('a personalised link leads to the URL as it was in that profile’s message', async () => {
    const { id, ids } = await sentDelivery(1)
    const clicked = await visit(links(await messageTo(id, ids[0])).clicks[1])
    expect(clicked.headers.get('location')).toBe('https://shop.example.com/u/pro')
  })

  test('a tampered token gets 404 and records nothing; a click can only reach the original URL', async () => {
    const { id, ids } = await sentDelivery(2)
    const { clicks, pixel } = links(await messageTo(id, ids[0]))
    const [base, token] = clicks[0].split('/t/c/')
    const flip = (at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
    const forged = [
      flip(0),
      flip(20),
      flip(token.length - 1),
      token.slice(0, -1),
      `${token}A`,
      // the ids in clear, as links were once made, with a signature that is not theirs
      `${id}.${ids[1]}.1.${token.slice(0, 22)}`,
      `${id}.${ids[0]}.2`,
    ]
    for (const fake of forged) expect((await visit(`${base}/t/c/${fake}`)).status).toBe(404)
    expect((await visit(pixel.replace('/t/o/', '/t/c/'))).status).toBe(404)
    expect((await visit(`${pixel.slice(0, -2)}xx`)).status).toBe(404)
    expect((await trackingLogs(id)).total).toBe(0)

    const redirected = await visit(`${clicks[0]}?url=https://evil.example.com/`)
    expect(redirected.status).toBe(302)
    expect(redirected.headers.get('location')).toBe('https://shop.example.com/offer?id=1&src=mail')
  })

  test('one-click unsubscribe excludes the profile from the next preparation', async () => {
    const { id, ids } = await sentDelivery(2)
    const mail = await messageTo(id, ids[0])
    const header = mail.headerLines
      .find((l) => l.key === 'list-unsubscribe')!
      .line.replace(/\r?\n[ \t]+/g, ' ')
    const url = /<([^>]+)>/.exec(header)![1]
    expect(mail.headerLines.find((l) => l.key === 'list-unsubscribe-post')?.line).toContain(
      'List-Unsubscribe=One-Click',
    )

    const page = await visit(links(mail).unsubscribePage)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<form method="post">')
    expect((await trackingLogs(id)).total).toBe(0)

    const unsubscribed = await visit(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(unsubscribed.status).toBe(200)
    expect((await trackingLogs(id)).items).toEqual([
      expect.objectContaining({ profileId: ids[0], type: 'unsubscribe' }),
    ])
    expect((await h.api('GET', `/api/profiles/${ids[0]}`)).body.subscribed).toBe(false)
    const email = (await h.api('GET', `/api/profiles/${ids[0]}`)).body.email
    const addresses = (
      await h.api('GET', `/api/addresses?email=${encodeURIComponent(email)}`, { as: 'admin' })
    ).body
    expect(addresses.items).toEqual([
      expect.objectContaining({ status: 'denylisted', reason: 'unsubscribed' }),
    ])

    const next = await h.api('POST', '/api/deliveries', {
      body: { label: 'Next', subject: 'S', text: 'T', audience: { profileIds: ids } },
    })
    await h.api('POST', `/api/deliveries/${next.body.id}/prepare`)
    expect(await h.waitForStatus(next.body.id, 'awaiting_approval')).toMatchObject({ messagesToDeliver: 1 })
    const excluded = (await h.api('GET', `/api/deliveries/${next.body.id}/exclusion-logs`, { as: 'viewer' }))
      .body
    expect(excluded.items).toEqual([expect.objectContaining({ profileId: ids[0], reason: 'denylisted' })])
  })

  test('the mirror page shows the message as the profile received it, and counts as an open', async () => {
    const { id, ids } = await sentDelivery(2)
    const mail = await messageTo(id, ids[1])
    const mirror = await visit(links(mail).mirror)
    expect(mirror.status).toBe(200)
    expect(mirror.headers.get('content-security-policy')).toContain("default-src 'none'")
    const page = await mirror.text()
    expect(page).toContain(`Hi ${(await h.api('GET', `/api/profiles/${ids[1]}`)).body.firstName}!`)
    expect(page).toContain(links(mail).clicks[0])
    expect(page).not.toContain('/t/o/')
    const computed = await h.api('POST', `/api/deliveries/${id}/compute-stats`, { as: 'approve' })
    expect(computed.body.kpis).toMatchObject({ opens: 1, clicks: 0 })
  })

  test('profile history lists exactly the deliveries the profile received, with opens and clicks', async () => {
    const ids = await importProfiles(h, 2, () => ({ attributes: { plan: 'pro' } }))
    const [profile, other] = ids
    const send = async (audience: number[]) => {
      const id = await readyDelivery(h, audience, { html, tracking: true })
      await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
      await h.waitForStatus(id, 'finished')
      return id
    }
    const first = await send(ids)
    const second = await send([profile])
    await readyDelivery(h, [profile]) // prepared, never sent
    await send([other])
    const { clicks, pixel } = links(await messageTo(second, profile))
    await visit(pixel)
    await visit(clicks[0])
    await visit(clicks[0])

    const history = (await h.api('GET', `/api/profiles/${profile}/history`, { as: 'viewer' })).body
    expect(history.total).toBe(2)
    expect(history.items).toEqual([
      expect.objectContaining({
        deliveryId: second,
        subject: `Hello ${(await h.api('GET', `/api/profiles/${profile}`)).body.firstName}`,
        status: 'sent',
        deliveryStatus: 'finished',
        opened: true,
        opens: 1,
        clicks: 2,
        messageId: `<herald.d${second}.p${profile}@herald.localhost>`,
      }),
      expect.objectContaining({ deliveryId: first, status: 'sent', opened: false, opens: 0, clicks: 0 }),
    ])
    expect(history.items[0].sentAt).toEqual(expect.any(String))
    const mirror = await visit(history.items[1].mirrorPageUrl)
    expect(mirror.status).toBe(200)
  })

  test('logs export as CSV', async () => {
    const { id, ids } = await sentDelivery(3)
    await visit(links(await messageTo(id, ids[2])).clicks[0])
    const sending = await h.app.request(`/api/deliveries/${id}/export/sending-logs`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    })
    expect(sending.headers.get('content-type')).toContain('text/csv')
    const lines = (await sending.text()).trim().split('\n')
    expect(lines[0]).toBe(
      'id,profileId,email,status,failureType,failureCategory,failureReason,smtpCode,attempts,inDoubt,sentAt,messageId',
    )
    expect(lines).toHaveLength(4)
    expect(lines[1]).toContain(',sent,')
    const tracking = await h.app.request(`/api/deliveries/${id}/export/tracking-logs`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    })
    const rows = (await tracking.text()).trim().split('\n')
    expect(rows).toHaveLength(2)
    expect(rows[1]).toContain(`,${ids[2]},click,https://shop.example.com/offer?id=1&src=mail,TestMail/1.0,`)
    const exclusions = await h.app.request(`/api/deliveries/${id}/export/exclusion-logs`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    })
    expect((await exclusions.text()).trim()).toBe('id,profileId,email,reason')
  })
})
