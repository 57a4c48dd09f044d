import { HTTPException } from 'hono/http-exception'
import { bodyOf } from '../api-client'
import { pageSize, type Dashboard, type DashboardApp, type DashboardContext } from '../context'
import { queryNumber, urlNumber } from '../reads'
import { query } from '../views/layout'
import { MailboxPage, MessagePage, type ReceivedMessageJson } from '../views/mailbox'

/** A received message's HTML, shown in a sandboxed frame: its own images and inline styles, no script. */
const messagePolicy = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

type ReceivedMessage = ReceivedMessageJson & {
  headers: Record<string, string>
  text: string | null
  html: string | null
}

/** The embedded SMTP sink's mailbox: the messages received, one with its headers, text and HTML. */
export function mailboxPages(app: DashboardApp, dash: Dashboard): void {
  const requireMailbox = () => {
    if (!dash.features().has('mailbox'))
      throw new HTTPException(404, { message: 'This Herald has no local mailbox.' })
  }

  app.get('/mailbox', async (c) => {
    requireMailbox()
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const reply = bodyOf(
      await dash.callAs(c)<{ items: ReceivedMessageJson[]; total: number }>(
        'GET',
        `/api/sink/messages${query({ page: pageNo, pageSize })}`,
      ),
    )
    return c.html(
      <MailboxPage
        page={dash.pageContext(c, 'mailbox')}
        items={reply.items}
        total={reply.total}
        pageNo={pageNo}
        pageSize={pageSize}
      />,
    )
  })

  const receivedMessage = async (c: DashboardContext) => {
    requireMailbox()
    const seq = urlNumber('seq', c.req.param('seq') ?? '')
    return bodyOf(await dash.callAs(c)<ReceivedMessage>('GET', `/api/sink/messages/${seq}`))
  }

  app.get('/mailbox/:seq', async (c) =>
    c.html(<MessagePage page={dash.pageContext(c, 'mailbox')} message={await receivedMessage(c)} />),
  )

  app.get('/mailbox/:seq/html', async (c) => {
    const message = await receivedMessage(c)
    c.header('content-security-policy', messagePolicy)
    return c.html(message.html ?? '')
  })
}
