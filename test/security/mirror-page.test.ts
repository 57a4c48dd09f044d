import { startHarness, type Harness } from '../support/harness'
import { messageTo, sentTrackedDelivery, trackingLinks } from '../support/tracked-delivery'

/**
 * Issue 16, item 6 (the mirror page): a delivery's HTML was shown on Herald's own origin as written, so a
 * `<meta http-equiv=refresh>` could send the reader elsewhere and a `<form>` could ask for a token or post
 * to /login. Now the page can run no script, submit no form, navigate nowhere by itself, and nobody can
 * frame it; a sanitiser keeps only what a message may hold.
 */
describe('the mirror page', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const hostileHtml = `<html><head>
<meta http-equiv="refresh" content="0;url=https://evil.example/phish">
<base href="https://evil.example/">
<title>Fake title</title>
<style>p { color: #333 }</style>
<script>document.location = 'https://evil.example/'</script>
</head><body onload="steal()">
<p>Hi {{firstName}}, <a href="https://shop.example.com/offer" target="_blank">see the offer</a></p>
<img src="https://images.example.com/logo.png" alt="Logo" onerror="steal()">
<form action="/login" method="post"><input name="token" placeholder="Your API token"><button>Log in</button></form>
<iframe src="https://evil.example/frame"></iframe><object data="https://evil.example/x"></object>
<embed src="https://evil.example/y"><svg onload="steal()"><circle r="1"/></svg>
<a href="javascript:steal()">javascript</a> <a href="data:text/html,<script>steal()</script>">data</a>
<noscript><meta http-equiv="refresh" content="0;url=https://evil.example/"></noscript>
</body></html>`

  test('it is served sandboxed: no script, no form, no base URL, no framing, no referrer', async () => {
    const { id, ids } = await sentTrackedDelivery(h, 1, { html: hostileHtml })
    const page = await h.app.request(trackingLinks(await messageTo(h, id, ids[0])).mirror)
    expect(page.status).toBe(200)
    const directives = new Map(
      (page.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    )
    // `sandbox` without allow-scripts, allow-forms, allow-popups or allow-top-navigation.
    expect(directives.get('sandbox')).toEqual([])
    expect(directives.get('default-src')).toEqual(["'none'"])
    expect(directives.get('form-action')).toEqual(["'none'"])
    expect(directives.get('base-uri')).toEqual(["'none'"])
    expect(directives.get('frame-ancestors')).toEqual(["'none'"])
    expect(directives.has('script-src')).toBe(false)
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
  })

  test('it holds no meta, base, form, script, frame, object, event handler or script URL, and still the message', async () => {
    const { id, ids } = await sentTrackedDelivery(h, 1, { html: hostileHtml })
    const mail = await messageTo(h, id, ids[0])
    const links = trackingLinks(mail)
    const page = await (await h.app.request(links.mirror)).text()
    const body = page.slice(page.indexOf('<body>'))
    for (const forbidden of [
      /<meta/i,
      /<base/i,
      /<form/i,
      /<input/i,
      /<button/i,
      /<script/i,
      /<iframe/i,
      /<object/i,
      /<embed/i,
      /<svg/i,
      /\son\w+=/i,
      /javascript:/i,
      /data:text/i,
      /target=/i,
      /evil\.example/,
      /Fake title/,
    ])
      expect({ forbidden: String(forbidden), found: forbidden.test(body) }).toEqual({
        forbidden: String(forbidden),
        found: false,
      })
    const firstName = (await h.api('GET', `/api/profiles/${ids[0]}`)).body.firstName
    expect(body).toContain(`Hi ${firstName}, <a href="${links.clicks[0]}">see the offer</a>`)
    expect(body).toContain('<img src="https://images.example.com/logo.png" alt="Logo" />')
    expect(body).toContain('<style>p { color: #333 }</style>')
    expect(body).toContain(links.unsubscribePage)
    expect(page).toContain('<title>Hello ')
  })
})
