import { simpleParser } from 'mailparser'
import MailComposer from 'nodemailer/lib/mail-composer'
import { appendToBody, compileTrackedHtml, fillTrackedLinks } from '../../domain/tracked-links'
import { verifyToken } from '../../domain/tracking-token'
import { composeMessage, renderMessageHtml, type MessageContent } from '../../mail/compose'
import { TrackingUrls } from '../../mail/tracking-urls'
import { seededSecret } from '../support/seed'

const secret = seededSecret('tracked-links unit', 32)

describe('link tracking', () => {
  test('web links are numbered once per URL; mailto, anchors and personalised-only hrefs stay', () => {
    const compiled = compileTrackedHtml(
      `<p><a href="https://example.com/a?x=1&amp;y=2">A</a> <a class="b" href='http://example.com/b'>B</a>
       <a href="https://example.com/a?x=1&amp;y=2">A again</a> <a href="mailto:hi@example.com">mail</a>
       <a href="#top">top</a> <a href="{{attributes.link}}">own</a> <a href=https://example.com/c>C</a>
       <a href="https://example.com/u/{{attributes.plan}}">plan</a></p>`,
    )
    expect(compiled.links).toEqual([
      { linkNo: 1, url: 'https://example.com/a?x=1&y=2' },
      { linkNo: 2, url: 'http://example.com/b' },
      { linkNo: 3, url: 'https://example.com/c' },
      { linkNo: 4, url: 'https://example.com/u/{{attributes.plan}}' },
    ])
    expect(compiled.template).toContain('href="mailto:hi@example.com"')
    expect(compiled.template).toContain('href="#top"')
    expect(compiled.template).toContain('href="{{attributes.link}}"')
    expect(compiled.template).not.toContain('example.com/')
  })

  test('each message gets its own click URLs in place of the placeholders', () => {
    const { template } = compileTrackedHtml(
      '<a href="https://example.com/x">x</a><a href="https://example.com/y">y</a>',
    )
    expect(fillTrackedLinks(template, (n) => `https://t/${n}`)).toBe(
      '<a href="https://t/1">x</a><a href="https://t/2">y</a>',
    )
  })

  test('the footer and pixel go before </body>, or at the end of a fragment', () => {
    expect(appendToBody('<html><body><p>x</p></body></html>', '<i>f</i>')).toBe(
      '<html><body><p>x</p><i>f</i></body></html>',
    )
    expect(appendToBody('<p>x</p>', '<i>f</i>')).toBe('<p>x</p><i>f</i>')
  })
})

describe('a tracked message', () => {
  const html = '<p>Hi {{firstName}}, <a href="https://example.com/offer">see the offer</a></p>'
  const content: MessageContent = {
    deliveryId: 42,
    subject: 'Hello',
    html,
    text: 'Hi {{firstName}}',
    from: 'herald@example.com',
    tracking: {
      urls: new TrackingUrls(secret, 'https://herald.example.com/', 42),
      trackedHtml: compileTrackedHtml(html),
    },
  }
  const recipient = {
    profileId: 7,
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: null,
    timeZone: null,
    attributes: {},
  }
  const tokenOf = (url: string, path: string) => {
    expect(url.startsWith(`https://herald.example.com${path}/`)).toBe(true)
    return url.slice(`https://herald.example.com${path}/`.length)
  }

  test('links go through signed click URLs, with an open pixel and mirror and unsubscribe links', async () => {
    const raw = await new MailComposer(composeMessage(content, recipient, 'herald.test')).compile().build()
    const mail = await simpleParser(raw)
    const hrefs = [...String(mail.html).matchAll(/href="([^"]+)"/g)].map((m) => m[1])
    expect(hrefs).toHaveLength(3)
    expect(verifyToken(secret, 'click', tokenOf(hrefs[0], '/t/c'))).toEqual({
      kind: 'click',
      deliveryId: 42,
      profileId: 7,
      linkNo: 1,
    })
    expect(verifyToken(secret, 'mirror', tokenOf(hrefs[1], '/t/m'))).toMatchObject({ profileId: 7 })
    expect(verifyToken(secret, 'unsubscribe', tokenOf(hrefs[2], '/t/u'))).toMatchObject({ profileId: 7 })
    const pixel = /<img src="([^"]+)" width="1" height="1"/.exec(String(mail.html))![1]
    expect(verifyToken(secret, 'open', tokenOf(pixel, '/t/o'))).toMatchObject({
      deliveryId: 42,
      profileId: 7,
    })
    expect(mail.html).toContain('Hi Ada')
    expect(mail.html).not.toContain('https://example.com/offer')
    const header = (key: string) =>
      mail.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n[ \t]+/g, ' ')
    const unsubscribe = /^List-Unsubscribe: *<([^>]+)>$/.exec(header('list-unsubscribe') ?? '')![1]
    expect(verifyToken(secret, 'unsubscribe', tokenOf(unsubscribe, '/t/u'))).toMatchObject({ profileId: 7 })
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click')
    expect(mail.text).toContain('Unsubscribe: https://herald.example.com/t/u/')
  })

  test('the mirror page shows the message without the open pixel', () => {
    const page = renderMessageHtml(content, recipient, { pixel: false })
    expect(page).toContain('Hi Ada')
    expect(page).not.toContain('/t/o/')
  })

  test('without tracking the body is untouched but List-Unsubscribe is still there', () => {
    const plain = composeMessage(
      { ...content, tracking: { ...content.tracking!, trackedHtml: null } },
      recipient,
      'h',
    )
    expect(plain.html).toBe('<p>Hi Ada, <a href="https://example.com/offer">see the offer</a></p>')
    expect(plain.text).toBe('Hi Ada')
    expect((plain.headers as Record<string, string>)['List-Unsubscribe']).toMatch(
      /^<https:\/\/herald\.example\.com\/t\/u\//,
    )
  })
})
