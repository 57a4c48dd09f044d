import nodemailer from 'nodemailer'
import { SmtpSink } from '../../mail/smtp-sink'

/** The sink stands in for a remote relay in benchmarks (P7): it can answer each message after a delay. */
describe('the SMTP sink', () => {
  async function sendOne(sink: SmtpSink): Promise<number> {
    const transport = nodemailer.createTransport({ url: sink.url } as never)
    const started = performance.now()
    await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'Hi', text: 'Hi' })
    transport.close()
    return performance.now() - started
  }

  test('with a reply delay, each message is answered no sooner than the delay, and kept', async () => {
    const sink = await new SmtpSink({ replyDelayMs: 250 }).start()
    try {
      // A lower bound only: a timer never fires before its delay (1 ms of rounding allowed).
      expect(await sendOne(sink)).toBeGreaterThanOrEqual(249)
      expect(sink.messages).toHaveLength(1)
    } finally {
      await sink.stop()
    }
  })
})
