import fs from 'node:fs'
import path from 'node:path'
import type { AddressInfo, Socket } from 'node:net'
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

/**
 * A real SMTP server on loopback that keeps every message it accepts: Herald's embedded default and
 * the tests' receiving end. It can answer like a real one that is having a bad day — reject some
 * recipients (5xx, 4xx), or refuse every connection for a while.
 */

export interface ReceivedMessage {
  /** Order of arrival, from 1. */
  seq: number
  messageId: string | null
  from: string
  to: string[]
  subject: string | null
  receivedAt: Date
  size: number
  /** File holding the raw message, when the sink keeps a mail directory. */
  file: string | null
}

export type RecipientRule = (address: string) => { code: number; message: string } | null

/**
 * What to do with a message once its DATA has arrived: `drop-before-store` breaks the connection and
 * keeps nothing (the sender cannot know); `drop-after-store` keeps it, then breaks the connection before
 * answering (the sender cannot know either, and a resend is a true duplicate).
 */
export type DataRule = (
  recipients: string[],
) => 'drop-before-store' | 'drop-after-store' | { code: number; message: string } | null

export interface SmtpSinkOptions {
  port?: number
  host?: string
  /** Keep each message as an .eml file here (and list earlier ones at start). */
  mailDir?: string
  /** Keep raw messages in memory for `parsed()`; on by default without a mail directory. */
  keepRaw?: boolean
  recipientRule?: RecipientRule
  dataRule?: DataRule
  /** Require SMTP AUTH with these credentials (over plain TCP, as on loopback); none by default. */
  auth?: { user: string; pass: string }
  /** Answer each message this long after its data has arrived, like a remote relay (0: at once). */
  replyDelayMs?: number
}

export class SmtpSink {
  readonly messages: ReceivedMessage[] = []
  private readonly raw = new Map<number, Buffer>()
  private server: SMTPServer | null = null
  private readonly sockets = new Set<Socket>()
  private boundPort = 0
  private refusing = false
  private waiters: { check: () => boolean; resolve: () => void }[] = []
  recipientRule: RecipientRule | null
  dataRule: DataRule | null
  replyDelayMs: number

  constructor(private readonly options: SmtpSinkOptions = {}) {
    this.recipientRule = options.recipientRule ?? null
    this.dataRule = options.dataRule ?? null
    this.replyDelayMs = options.replyDelayMs ?? 0
    if (options.mailDir) this.loadMailDir(options.mailDir)
  }

  get port(): number {
    return this.boundPort
  }

  get url(): string {
    return `smtp://${this.options.host ?? '127.0.0.1'}:${this.boundPort}`
  }

  async start(): Promise<this> {
    const auth = this.options.auth
    const server = new SMTPServer({
      authOptional: !auth,
      disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      allowInsecureAuth: Boolean(auth),
      onAuth: (login, _session, callback) =>
        login.username === auth?.user && login.password === auth?.pass
          ? callback(null, { user: login.username })
          : callback(Object.assign(new Error('5.7.8 authentication failed'), { responseCode: 535 })),
      logger: false,
      maxClients: 1000,
      size: 50 * 1024 * 1024,
      onMailFrom: (_address, _session, callback) =>
        callback(
          this.refusing
            ? Object.assign(new Error('4.3.2 service not available, closing channel'), { responseCode: 421 })
            : null,
        ),
      onRcptTo: (address, _session, callback) => this.onRcptTo(address, callback),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => {
          const answer = () => {
            const rule = this.dataRule?.(session.envelope.rcptTo.map((r) => r.address)) ?? null
            if (rule === 'drop-before-store' || rule === 'drop-after-store') {
              if (rule === 'drop-after-store') this.store(Buffer.concat(chunks), session)
              return this.socketOf(session)?.destroy()
            }
            if (rule) return callback(Object.assign(new Error(rule.message), { responseCode: rule.code }))
            this.store(Buffer.concat(chunks), session)
            callback()
          }
          const delay = this.replyDelayMs
          if (delay > 0) setTimeout(answer, delay)
          else answer()
        })
      },
    })
    server.on('error', () => undefined)
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject)
      server.listen(this.boundPort || this.options.port || 0, this.options.host ?? '127.0.0.1', () =>
        resolve(),
      )
    })
    this.boundPort = (server.server.address() as AddressInfo).port
    this.server = server
    return this
  }

  /** Stops listening and drops every open connection: clients see connections refused. */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  /**
   * Like a relay going down for `ms`: stops listening (new connections are refused) and answers 421
   * to the next transaction on connections already open, letting the ones in progress finish; then
   * listens again on the same port.
   */
  async refuseConnectionsFor(ms: number): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    this.refusing = true
    server.server.close()
    await new Promise((resolve) => setTimeout(resolve, ms))
    this.refusing = false
    await this.start()
  }

  /** Distinct Message-IDs received, and how many times each arrived. */
  countByMessageId(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const message of this.messages) {
      if (message.messageId) counts.set(message.messageId, (counts.get(message.messageId) ?? 0) + 1)
    }
    return counts
  }

  async waitFor(check: (messages: ReceivedMessage[]) => boolean, timeoutMs = 30_000): Promise<void> {
    if (check(this.messages)) return
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        check: () => check(this.messages),
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`SMTP sink: still waiting after ${timeoutMs} ms (${this.messages.length} messages)`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  waitForCount(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((messages) => messages.length >= count, timeoutMs)
  }

  /** The whole message, parsed (headers, text, HTML). */
  async parsed(seq: number): Promise<ParsedMail> {
    return simpleParser(this.rawMessage(seq))
  }

  rawMessage(seq: number): Buffer {
    const inMemory = this.raw.get(seq)
    if (inMemory) return inMemory
    const file = this.messages[seq - 1]?.file
    if (!file) throw new Error(`SMTP sink: no message ${seq}`)
    return fs.readFileSync(file)
  }

  clear(): void {
    this.messages.length = 0
    this.raw.clear()
  }

  private socketOf(session: SMTPServerSession): Socket | undefined {
    return [...this.sockets].find((socket) => socket.remotePort === session.remotePort)
  }

  private onRcptTo(address: SMTPServerAddress, callback: (err?: Error | null) => void): void {
    const rejection = this.recipientRule?.(address.address)
    if (!rejection) return callback()
    const err = new Error(rejection.message) as Error & { responseCode: number }
    err.responseCode = rejection.code
    callback(err)
  }

  private store(raw: Buffer, session: SMTPServerSession): void {
    const header = raw
      .subarray(0, Math.min(raw.length, 16 * 1024))
      .toString('utf8')
      .split(/\r?\n\r?\n/)[0]
    const seq = this.messages.length + 1
    let file: string | null = null
    if (this.options.mailDir) {
      file = path.join(this.options.mailDir, `${Date.now()}-${process.pid}-${seq}.eml`)
      fs.writeFileSync(file, raw)
    }
    if (this.options.keepRaw ?? !this.options.mailDir) this.raw.set(seq, raw)
    this.messages.push({
      seq,
      messageId: headerValue(header, 'message-id'),
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((r) => r.address),
      subject: headerValue(header, 'subject'),
      receivedAt: new Date(),
      size: raw.length,
      file,
    })
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check()) return true
      waiter.resolve()
      return false
    })
  }

  private loadMailDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true })
    for (const name of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.eml'))
      .sort(byArrival)) {
      const file = path.join(dir, name)
      const raw = fs.readFileSync(file)
      const header = raw
        .subarray(0, 16 * 1024)
        .toString('utf8')
        .split(/\r?\n\r?\n/)[0]
      const seq = this.messages.length + 1
      this.messages.push({
        seq,
        messageId: headerValue(header, 'message-id'),
        from: headerValue(header, 'from') ?? '',
        to: (headerValue(header, 'to') ?? '').split(',').map((s) => s.trim()),
        subject: headerValue(header, 'subject'),
        receivedAt: fs.statSync(file).mtime,
        size: raw.length,
        file,
      })
    }
  }
}

function byArrival(a: string, b: string): number {
  const key = (name: string) => name.split('-').map(Number)
  const [ta, pa, sa] = key(a)
  const [tb, pb, sb] = key(b)
  return ta - tb || pa - pb || sa - sb
}

/** One header's unfolded value from a raw header block. */
function headerValue(header: string, name: string): string | null {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(header)
  return match ? match[1].replace(/\r?\n[ \t]+/g, ' ').trim() : null
}
