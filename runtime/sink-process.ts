import { SmtpSink, type SmtpSinkOptions } from '../mail/smtp-sink'

/**
 * Herald's SMTP sink in a process of its own (`npm run cluster`, the benchmarks), so that what it costs
 * to receive is paid outside the processes measured. Options come as JSON in the first argument; the
 * parent asks over IPC: `count` → { total, distinct, duplicates }, `received` → [Message-ID, times][]
 * of the IDs that start with a prefix, `delay` (answer each message `ms` later from now on), `reset`.
 */
async function run() {
  const options = JSON.parse(process.argv[2] ?? '{}') as SmtpSinkOptions
  const sink = await new SmtpSink({ keepRaw: false, ...options }).start()
  process.send?.({ type: 'ready', url: sink.url })
  process.on('message', (message: { type: string; prefix?: string; ms?: number }) => {
    if (message.type === 'count') {
      const counts = sink.countByMessageId()
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0)
      process.send?.({ type: 'count', total: sink.messages.length, distinct: counts.size, duplicates })
    } else if (message.type === 'received') {
      const entries = [...sink.countByMessageId()].filter(([id]) => id.startsWith(message.prefix ?? ''))
      process.send?.({ type: 'received', entries })
    } else if (message.type === 'delay') {
      sink.replyDelayMs = message.ms ?? 0
      process.send?.({ type: 'delay' })
    } else if (message.type === 'reset') {
      sink.clear()
      process.send?.({ type: 'reset' })
    }
  })
  process.on('disconnect', () => void sink.stop().then(() => process.exit(0)))
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
