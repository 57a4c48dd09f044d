import type { TrackingWriter } from '../../persistence/tracking-writer'
import { Hono, type Context } from 'hono'
import { escapeUTF8 } from 'entities'
import { verifyToken, type TrackingKind, type TrackingTarget } from '../../domain/tracking-token'
import { compileTrackedHtml, isTrackable } from '../../domain/tracked-links'
import { renderText } from '../../domain/personalisation'
import type { QuarantineRules } from '../../domain/quarantine'
import type { Database } from '../../persistence/database'
import { getProfile } from '../../persistence/profiles'
import { applyAddressEvents } from '../../persistence/address-status'
import { findTrackedUrl, sentAddress, unsubscribeProfile } from '../../persistence/tracking'
import { renderMessageHtml, type MessageRecipient } from '../../mail/compose'
import { TrackingUrls } from '../../mail/tracking-urls'
import { notFound } from '../errors'

export interface TrackingDeps {
  db: Database
  secret: string
  publicUrl: string
  quarantine: QuarantineRules
  writer: TrackingWriter
}

/** A transparent 1×1 GIF. */
const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

const noCache = {
  'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
  pragma: 'no-cache',
  expires: '0',
}

/**
 * The endpoints tracking links lead to (SPEC.md "Tracking"): no API token, only a valid signature.
 * A forged or altered token gets 404 and records nothing; a click only ever redirects to a URL stored
 * for the delivery it came from.
 */
export function trackingRoutes(deps: TrackingDeps) {
  const { db, writer } = deps
  const app = new Hono()

  const target = (c: Context, kind: TrackingKind): TrackingTarget => {
    const found = verifyToken(deps.secret, kind, c.req.param('token') ?? '')
    if (!found) throw notFound('tracking link')
    return found
  }

  const record = async (c: Context, t: TrackingTarget, linkNo?: number) => {
    const recorded = await writer.record({
      deliveryId: t.deliveryId,
      profileId: t.profileId,
      type: t.kind,
      linkNo,
      userAgent: c.req.header('user-agent'),
      at: new Date(),
    })
    if (!recorded) throw notFound('message')
  }

  // Opens are the volume: answered at once, stored with the next batch (and before shutdown ends).
  app.get('/o/:token', (c) => {
    const t = target(c, 'open')
    writer.buffer({
      deliveryId: t.deliveryId,
      profileId: t.profileId,
      type: t.kind,
      userAgent: c.req.header('user-agent'),
      at: new Date(),
    })
    return c.body(pixel, 200, { 'content-type': 'image/gif', ...noCache })
  })

  app.get('/c/:token', async (c) => {
    const t = target(c, 'click')
    const url = await clickDestination(t)
    if (!url) throw notFound('tracked URL')
    await record(c, t, t.linkNo)
    return c.redirect(url, 302)
  })

  app.get('/u/:token', async (c) => {
    const t = target(c, 'unsubscribe')
    if (!(await sentAddress(db, t.deliveryId, t.profileId))) throw notFound('message')
    return c.html(
      page(
        'Unsubscribe',
        `<p>Do you want to stop receiving these emails?</p>
         <form method="post"><button type="submit">Unsubscribe</button></form>`,
      ),
      200,
      noCache,
    )
  })

  // RFC 8058 one-click: mailbox providers POST here; so does the confirmation page above.
  app.post('/u/:token', async (c) => {
    const t = target(c, 'unsubscribe')
    const email = await sentAddress(db, t.deliveryId, t.profileId)
    if (!email) throw notFound('message')
    const at = new Date()
    await applyAddressEvents(
      db,
      [{ email, event: { kind: 'unsubscribe', at: at.getTime() } }],
      deps.quarantine,
    )
    await unsubscribeProfile(db, t.profileId, at)
    await record(c, t)
    return c.html(
      page('Unsubscribed', `<p>${escapeUTF8(email)} will receive no more of these emails.</p>`),
      200,
    )
  })

  app.get('/m/:token', async (c) => {
    const t = target(c, 'mirror')
    const html = await mirrorPage(t)
    if (html === null) throw notFound('message')
    await record(c, t)
    // The message's own HTML, under our origin: no scripts, whatever it contains.
    return c.html(html, 200, {
      'content-security-policy': "default-src 'none'; img-src * data:; style-src 'unsafe-inline'",
      ...noCache,
    })
  })

  /** The URL as it was in this profile's message: the stored one, personalised if it has fields. */
  async function clickDestination(t: TrackingTarget): Promise<string | null> {
    const stored = await findTrackedUrl(db, t.deliveryId, t.linkNo ?? 0)
    if (!stored || !stored.includes('{{')) return stored
    const profile = await getProfile(db, t.profileId)
    const url = profile ? renderText(stored, profile).trim() : ''
    return isTrackable(url) ? url : null
  }

  /** The message as this profile received it, without the open pixel. */
  async function mirrorPage(t: TrackingTarget): Promise<string | null> {
    const [delivery, profile, email] = await Promise.all([
      db.knex('delivery').select('subject', 'html', 'text', 'tracking').where('id', t.deliveryId).first(),
      getProfile(db, t.profileId),
      sentAddress(db, t.deliveryId, t.profileId),
    ])
    if (!delivery || !profile || !email) return null
    const recipient: MessageRecipient = { ...profile, email, profileId: t.profileId }
    const content = {
      deliveryId: t.deliveryId,
      subject: delivery.subject,
      html: delivery.html,
      text: delivery.text,
      from: '',
      tracking: {
        urls: new TrackingUrls(deps.secret, deps.publicUrl, t.deliveryId),
        trackedHtml: delivery.tracking ? compileTrackedHtml(delivery.html ?? '') : null,
      },
    }
    const subject = escapeUTF8(renderText(delivery.subject, recipient))
    if (content.html) {
      const html = renderMessageHtml(content, recipient, { pixel: false })
      return /<html[\s>]/i.test(html) ? html : page(subject, html)
    }
    return page(
      subject,
      `<pre style="white-space:pre-wrap">${escapeUTF8(renderText(content.text ?? '', recipient))}</pre>`,
    )
  }

  return app
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title></head><body>${body}</body></html>`
}
