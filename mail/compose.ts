import type { SendMailOptions } from 'nodemailer'
import { escapeAttribute } from 'entities'
import { renderHeader, renderHtml, renderText, type PersonalisationProfile } from '../domain/personalisation'
import { messageIdFor } from '../domain/message-id'
import { appendToBody, fillTrackedLinks, type TrackedHtml } from '../domain/tracked-links'
import type { TrackingUrls } from './tracking-urls'

export interface MessageContent {
  deliveryId: number
  subject: string
  html: string | null
  text: string | null
  from: string
  /** Signed URLs for every message; `trackedHtml` only when the delivery tracks opens and clicks. */
  tracking?: { urls: TrackingUrls; trackedHtml: TrackedHtml | null }
}

export interface MessageRecipient extends PersonalisationProfile {
  profileId: number
  email: string
}

/** One personalised message, with the deterministic Message-ID that makes resends recognisable. */
export function composeMessage(
  content: MessageContent,
  recipient: MessageRecipient,
  messageIdDomain: string,
): SendMailOptions {
  const name = [recipient.firstName, recipient.lastName]
    .filter(Boolean)
    .join(' ')
    .replace(/[\r\n]+/g, ' ')
  return {
    from: content.from,
    to: name ? { name, address: recipient.email } : recipient.email,
    subject: renderHeader(content.subject, recipient),
    html: content.html ? renderMessageHtml(content, recipient, { pixel: true }) : undefined,
    text: content.text ? renderMessageText(content, recipient) : undefined,
    messageId: messageIdFor(content.deliveryId, recipient.profileId, messageIdDomain),
    headers: {
      'X-Herald-Delivery': String(content.deliveryId),
      'X-Herald-Profile': String(recipient.profileId),
      ...(content.tracking && listUnsubscribe(content.tracking.urls.url('unsubscribe', recipient.profileId))),
    },
  }
}

/** RFC 2369 and RFC 8058: mailbox providers show an unsubscribe button that POSTs to this URL. */
function listUnsubscribe(url: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
}

/**
 * The HTML body as this profile receives it: with tracking, every link goes through its click URL and
 * a footer links to the mirror page and the unsubscribe page; the open pixel comes last (the mirror
 * page shows the message without it).
 */
export function renderMessageHtml(
  content: MessageContent,
  recipient: MessageRecipient,
  options: { pixel: boolean },
): string {
  const tracked = content.tracking?.trackedHtml
  if (!tracked || !content.tracking) return renderHtml(content.html ?? '', recipient)
  const { urls } = content.tracking
  const href = (url: string) => escapeAttribute(url)
  const html = fillTrackedLinks(renderHtml(tracked.template, recipient), (linkNo) =>
    href(urls.url('click', recipient.profileId, linkNo)),
  )
  const footer =
    `<p style="font-size:12px;color:#666">` +
    `<a href="${href(urls.url('mirror', recipient.profileId))}">View this email in your browser</a> · ` +
    `<a href="${href(urls.url('unsubscribe', recipient.profileId))}">Unsubscribe</a></p>`
  const pixel = options.pixel
    ? `<img src="${href(urls.url('open', recipient.profileId))}" width="1" height="1" alt="" style="display:block;border:0">`
    : ''
  return appendToBody(html, footer + pixel)
}

function renderMessageText(content: MessageContent, recipient: MessageRecipient): string {
  const text = renderText(content.text ?? '', recipient)
  if (!content.tracking?.trackedHtml) return text
  const { urls } = content.tracking
  return (
    `${text}\n\n--\nView this email in your browser: ${urls.url('mirror', recipient.profileId)}\n` +
    `Unsubscribe: ${urls.url('unsubscribe', recipient.profileId)}\n`
  )
}
