import type { DeliveryJson } from '../deployment'
import { Csrf, DateTime } from './layout'

export interface ProofJson {
  proofNo: number
  deliveryVersion: number
  sentBy: string
  sentAt: string
  messages: { email: string; profileId: number; messageId: string }[]
}

export interface ProofsView {
  items: ProofJson[]
  requireProof: boolean
  /** The user may send proofs and the delivery is prepared, not yet confirmed. */
  canSend: boolean
}

/** Proofs (ACS): "Send proof" with the proof addresses, and every proof sent, newest first. */
export function Proofs(props: { delivery: DeliveryJson; proofs: ProofsView; csrf: string }) {
  const { delivery: d, proofs } = props
  if (!proofs.canSend && proofs.items.length === 0 && !proofs.requireProof) return null
  const current = proofs.items.some((p) => p.deliveryVersion === (d as { version?: number }).version)
  return (
    <section aria-labelledby="proofs-title">
      <h2 id="proofs-title">Proofs</h2>
      {proofs.requireProof && (
        <p class="hint" data-field="proof-required">
          {current
            ? 'A proof of the current content was sent: the delivery can be approved.'
            : 'Approval waits for a proof of the current content.'}
        </p>
      )}
      {proofs.canSend && (
        <details class="inline-form">
          <summary>Send proof…</summary>
          <form method="post" action={`/deliveries/${d.id}/proofs`}>
            <Csrf token={props.csrf} />
            <label for="proof-emails">Proof addresses (comma separated)</label>
            <input id="proof-emails" name="emails" type="text" required maxlength={3300} />
            <label for="proof-profiles">
              As target profiles (ids, comma separated; empty: the first one)
            </label>
            <input id="proof-profiles" name="asProfiles" type="text" maxlength={100} />
            <button type="submit">Send proof</button>
          </form>
        </details>
      )}
      {proofs.items.length > 0 && (
        <table data-table="proofs">
          <thead>
            <tr>
              <th scope="col">Proof</th>
              <th scope="col">Sent</th>
              <th scope="col">By</th>
              <th scope="col">To</th>
              <th scope="col" class="num">
                As profile
              </th>
              <th scope="col">Message-ID</th>
            </tr>
          </thead>
          <tbody>
            {proofs.items.flatMap((p) =>
              p.messages.map((m) => (
                <tr>
                  <td>{`[Proof ${p.proofNo}]`}</td>
                  <td>
                    <DateTime value={p.sentAt} />
                  </td>
                  <td>{p.sentBy}</td>
                  <td>{m.email}</td>
                  <td class="num">{m.profileId}</td>
                  <td class="mono">{m.messageId}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  )
}
