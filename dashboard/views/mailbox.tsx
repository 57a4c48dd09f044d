import { DateTime, Layout, Pager, query, type PageContext } from './layout'

/** The embedded default's local SMTP sink: what Herald actually sent, as received. */

export interface ReceivedMessageJson {
  seq: number
  messageId: string | null
  from: string
  to: string[]
  subject: string | null
  receivedAt: string
  size: number
}

export function MailboxPage(props: {
  page: PageContext
  items: ReceivedMessageJson[]
  total: number
  pageNo: number
  pageSize: number
}) {
  return (
    <Layout title="Mailbox" page={props.page}>
      <h1>Mailbox</h1>
      <p>Messages the local SMTP sink received, newest first.</p>
      {props.items.length === 0 ? (
        <p>No message yet.</p>
      ) : (
        <table class="mailbox">
          <caption>{props.total} messages received</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                #
              </th>
              <th scope="col">Received</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Message-ID</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((m) => (
              <tr>
                <td class="num">{m.seq}</td>
                <td>
                  <DateTime value={m.receivedAt} />
                </td>
                <td>{m.to.join(', ')}</td>
                <td>
                  <a href={`/mailbox/${m.seq}`}>{m.subject ?? '(no subject)'}</a>
                </td>
                <td class="mono">{m.messageId ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={props.pageNo}
        pageSize={props.pageSize}
        total={props.total}
        href={(p) => `/mailbox${query({ page: p })}`}
      />
    </Layout>
  )
}

export function MessagePage(props: {
  page: PageContext
  message: ReceivedMessageJson & { headers: Record<string, string>; text: string | null; html: string | null }
}) {
  const m = props.message
  return (
    <Layout title={m.subject ?? 'Message'} page={props.page}>
      <p class="breadcrumb">
        <a href="/mailbox">Mailbox</a> / {m.seq}
      </p>
      <h1>{m.subject ?? '(no subject)'}</h1>
      <dl class="summary headers">
        {Object.entries(m.headers).map(([name, value]) => (
          <div>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {m.html && (
        <section aria-labelledby="html-title">
          <h2 id="html-title">HTML</h2>
          <iframe
            class="message-html"
            sandbox=""
            src={`/mailbox/${m.seq}/html`}
            title="The message's HTML body"
          />
        </section>
      )}
      {m.text && (
        <section aria-labelledby="text-title">
          <h2 id="text-title">Text</h2>
          <pre class="message-text">{m.text}</pre>
        </section>
      )}
    </Layout>
  )
}
