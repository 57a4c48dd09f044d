import { SmtpSink } from '../mail/smtp-sink'

/**
 * The benchmark's SMTP sink, in a process of its own so that Herald and the raw baseline pay the same
 * price for the receiving end. Talks over IPC: `count` → { total, distinct, duplicates }, `reset`.
 */
async function run() {
  const sink = await new SmtpSink({ keepRaw: false }).start()
  process.send?.({ type: 'ready', url: sink.url })
  process.on('message', (message: { type: string }) => {
    if (message.type === 'count') {
      const counts = sink.countByMessageId()
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0)
      process.send?.({ type: 'count', total: sink.messages.length, distinct: counts.size, duplicates })
    } else if (message.type === 'reset') {
      sink.clear()
      process.send?.({ type: 'reset' })
    }
  })
  process.on('disconnect', () => void sink.stop().then(() => process.exit(0)))
}

void run()
