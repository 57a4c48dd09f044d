import type { SendMailOptions } from 'nodemailer'
import { renderHeader, renderHtml, renderText, type PersonalisationProfile } from '../domain/personalisation'
import { messageIdFor } from '../domain/message-id'

export interface MessageContent {
  deliveryId: number
  subject: string
  html: string | null
  text: string | null
  from: string
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
    html: content.html ? renderHtml(content.html, recipient) : undefined,
    text: content.text ? renderText(content.text, recipient) : undefined,
    messageId: messageIdFor(content.deliveryId, recipient.profileId, messageIdDomain),
    headers: {
      'X-Herald-Delivery': String(content.deliveryId),
      'X-Herald-Profile': String(recipient.profileId),
    },
  }
}
