import sanitizeHtml from 'sanitize-html'
import { escapeUTF8 } from 'entities'

/**
 * The mirror page shows a delivery's HTML on Herald's own origin, so it is served to do nothing but be
 * read: its Content-Security-Policy sandboxes it (no script, no form, no popup, an origin of its own),
 * submits no form, sets no base URL and lets nobody frame it; and a sanitiser keeps only the tags and
 * attributes of a message, so a `<meta http-equiv=refresh>` cannot send the reader elsewhere and a
 * `<form>` cannot ask for a password. Images load from anywhere, as in a mail client.
 */
export const mirrorPageHeaders: Record<string, string> = {
  'content-security-policy': [
    'sandbox',
    "default-src 'none'",
    'img-src * data:',
    "style-src 'unsafe-inline'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  // The page's own URL is a token: the images it loads must not receive it as a Referer.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
}

const layoutAttributes = ['align', 'valign', 'width', 'height', 'bgcolor', 'background', 'border', 'color']

const options: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img',
    'font',
    'center',
    'big',
    'del',
    'ins',
    'strike',
    'tt',
    'style',
  ],
  // `<style>` carries a message's layout; with no script allowed by the policy above, CSS only styles.
  allowVulnerableTags: true,
  allowedAttributes: {
    '*': ['style', 'class', 'id', 'dir', 'lang', 'title', 'role', ...layoutAttributes],
    a: ['href', 'name'],
    img: ['src', 'alt', 'width', 'height', 'border'],
    table: ['cellpadding', 'cellspacing', 'summary'],
    td: ['colspan', 'rowspan', 'nowrap'],
    th: ['colspan', 'rowspan', 'nowrap', 'scope'],
    col: ['span'],
    colgroup: ['span'],
    font: ['face', 'size'],
    ol: ['start', 'type'],
    ul: ['type'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'data'] },
  allowProtocolRelative: false,
  // Dropped with their content: the page has its own title and head.
  nonTextTags: ['script', 'textarea', 'option', 'noscript', 'title', 'template'],
}

/** The message's HTML as the mirror page shows it: only what a message may hold. */
export function sanitizeMessageHtml(html: string): string {
  return sanitizeHtml(html, options)
}

/** A page of Herald's tracking endpoints: the title is text, the body HTML already safe to show. */
export function trackingPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeUTF8(title)}</title></head><body>${body}</body></html>`
}
