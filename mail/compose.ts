import type { SendMailOptions } from 'nodemailer'
import { escapeAttribute } from 'entities'
import { renderHeader, renderHtml, renderText, type PersonalisationProfile } from '../domain/personalisation'
import { messageIdFor } from '../domain/message-id'
import { appendToBody, fillTrackedLinks, type TrackedHtml } from '../domain/tracked-links'
import type { ProfileUrls, TrackingUrls } from './tracking-urls'

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
  const urls = content.tracking?.urls.forProfile(recipient.profileId)
  return {
    from: content.from,
    to: name ? { name, address: recipient.email } : recipient.email,
    subject: renderHeader(content.subject, recipient),
    html: content.html ? htmlBody(content, recipient, urls, true) : undefined,
    text: content.text ? textBody(content, recipient, urls) : undefined,
    messageId: messageIdFor(content.deliveryId, recipient.profileId, messageIdDomain),
    headers: {
      'X-Herald-Delivery': String(content.deliveryId),
      'X-Herald-Profile': String(recipient.profileId),
      ...(urls && listUnsubscribe(urls('unsubscribe'))),
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
  return htmlBody(content, recipient, content.tracking?.urls.forProfile(recipient.profileId), options.pixel)
}

function htmlBody(
  content: MessageContent,
  recipient: MessageRecipient,
  urls: ProfileUrls | undefined,
  withPixel: boolean,
): string {
  const tracked = content.tracking?.trackedHtml
  if (!tracked || !urls) return renderHtml(content.html ?? '', recipient)
  const href = (url: string) => escapeAttribute(url)
  const html = fillTrackedLinks(renderHtml(tracked.template, recipient), (linkNo) =>
    href(urls('click', linkNo)),
  )
  const footer =
    `<p style="font-size:12px;color:#666">` +
    `<a href="${href(urls('mirror'))}">View this email in your browser</a> · ` +
    `<a href="${href(urls('unsubscribe'))}">Unsubscribe</a></p>`
  const pixel = withPixel
    ? `<img src="${href(urls('open'))}" width="1" height="1" alt="" style="display:block;border:0">`
    : ''
  return appendToBody(html, footer + pixel)
}

function textBody(
  content: MessageContent,
  recipient: MessageRecipient,
  urls: ProfileUrls | undefined,
): string {
  const text = renderText(content.text ?? '', recipient)
  if (!content.tracking?.trackedHtml || !urls) return text
  return `${text}\n\n--\nView this email in your browser: ${urls('mirror')}\nUnsubscribe: ${urls('unsubscribe')}\n`
}
