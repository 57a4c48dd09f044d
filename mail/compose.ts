import type { SendMailOptions } from 'nodemailer'
import { escapeAttribute } from 'entities'
import {
  compileTemplate,
  renderHeader,
  renderHtml,
  renderText,
  type PersonalisationProfile,
  type Template,
} from '../domain/personalisation'
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

/** The From header of a delivery: its own sender, or the installation's. */
export function fromHeader(name: string | null, email: string | null, fallback: string): string {
  if (!email) return fallback
  return name ? `"${name.replace(/["\\\r\n]/g, '')}" <${email}>` : email
}

/**
 * A delivery's templates parsed once (the HTML with its links taken out when tracked): a batch compiles
 * its content once and each message only renders it.
 */
export interface CompiledContent {
  content: MessageContent
  subject: Template
  html: Template | null
  text: Template | null
}

export function compileContent(content: MessageContent): CompiledContent {
  const html = content.tracking?.trackedHtml?.template ?? content.html
  return {
    content,
    subject: compileTemplate(content.subject),
    html: html ? compileTemplate(html) : null,
    text: content.text ? compileTemplate(content.text) : null,
  }
}

const compiled = (content: MessageContent | CompiledContent): CompiledContent =>
  'content' in content ? content : compileContent(content)

export interface MessageRecipient extends PersonalisationProfile {
  profileId: number
  email: string
}

/** One personalised message, with the deterministic Message-ID that makes resends recognisable. */
export function composeMessage(
  message: MessageContent | CompiledContent,
  recipient: MessageRecipient,
  messageIdDomain: string,
): SendMailOptions {
  const templates = compiled(message)
  const { content } = templates
  const name = [recipient.firstName, recipient.lastName]
    .filter(Boolean)
    .join(' ')
    .replace(/[\r\n]+/g, ' ')
  const urls = content.tracking?.urls.forProfile(recipient.profileId)
  return {
    from: content.from,
    to: name ? { name, address: recipient.email } : recipient.email,
    subject: renderHeader(templates.subject, recipient),
    html: templates.html ? htmlBody(templates, recipient, urls, true) : undefined,
    text: templates.text ? textBody(templates, recipient, urls) : undefined,
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
  message: MessageContent | CompiledContent,
  recipient: MessageRecipient,
  options: { pixel: boolean },
): string {
  const templates = compiled(message)
  const urls = templates.content.tracking?.urls.forProfile(recipient.profileId)
  return htmlBody(templates, recipient, urls, options.pixel)
}

function htmlBody(
  templates: CompiledContent,
  recipient: MessageRecipient,
  urls: ProfileUrls | undefined,
  withPixel: boolean,
): string {
  const body = renderHtml(templates.html ?? '', recipient)
  if (!templates.content.tracking?.trackedHtml || !urls) return body
  const href = (url: string) => escapeAttribute(url)
  const html = fillTrackedLinks(body, (linkNo) => href(urls('click', linkNo)))
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
  templates: CompiledContent,
  recipient: MessageRecipient,
  urls: ProfileUrls | undefined,
): string {
  const text = renderText(templates.text ?? '', recipient)
  if (!templates.content.tracking?.trackedHtml || !urls) return text
  return `${text}\n\n--\nView this email in your browser: ${urls('mirror')}\nUnsubscribe: ${urls('unsubscribe')}\n`
}
