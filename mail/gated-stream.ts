import { Transform, type TransformCallback } from 'node:stream'

/**
 * Passes a message through unchanged but ends it — letting the SMTP client send the final "." that
 * commits the message — only once `gate` resolves true. The SMTP exchange (envelope, body) then
 * overlaps with the database write that must precede the delivery; if the gate fails or says no, the
 * stream errors and the client abandons the transaction: the server never gets the "." and keeps nothing.
 */
export class DeliveryGate extends Transform {
  constructor(private readonly gate: Promise<boolean>) {
    super()
    // Decided long before the body ends, perhaps: never leave a rejection unhandled meanwhile.
    gate.catch(() => undefined)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    this.gate.then(
      (open) => callback(open ? null : new Error('delivery not confirmed by the sending log')),
      (err: Error) => callback(err),
    )
  }
}
