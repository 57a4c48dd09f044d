import type { Database } from './database'
import type { MessageRecipient } from '../mail/compose'

/** Proofs of a delivery (ACS "proofs"): never sending logs, so never in the KPIs nor the target. */

export interface ProofMessage {
  email: string
  profileId: number
  messageId: string
  smtpResponse: string
}

export interface Proof {
  proofNo: number
  deliveryVersion: number
  sentBy: string
  sentAt: string
  messages: ProofMessage[]
}

function parseJson(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>
  return (value as Record<string, unknown>) ?? {}
}

/**
 * The target profiles a proof is personalised for: those asked for, in that order, or the first one of
 * the prepared target. A profile asked for that is not in the target comes back as its index.
 */
export async function proofProfiles(
  db: Database,
  deliveryId: number,
  asProfiles: number[] | undefined,
): Promise<MessageRecipient[] | { missing: number }> {
  const query = db
    .knex('sending_log as s')
    .join('profile as p', 'p.id', 's.profile_id')
    .select('p.id', 'p.email', 'p.first_name', 'p.last_name', 'p.time_zone', 'p.attributes')
    .where('s.delivery_id', deliveryId)
    .orderBy('s.id')
  const rows: Record<string, unknown>[] = await (asProfiles
    ? query.whereIn('p.id', asProfiles)
    : query.limit(1))
  const byId = new Map(rows.map((r) => [Number(r.id), r]))
  const ids = asProfiles ?? rows.map((r) => Number(r.id))
  const missing = ids.findIndex((id) => !byId.has(id))
  if (missing >= 0) return { missing }
  return ids.map((id) => {
    const r = byId.get(id)!
    return {
      profileId: id,
      email: String(r.email),
      firstName: (r.first_name as string | null) ?? null,
      lastName: (r.last_name as string | null) ?? null,
      timeZone: (r.time_zone as string | null) ?? null,
      attributes: parseJson(r.attributes),
    }
  })
}

/** The number the next proof of this delivery gets ("[Proof N]"). */
export async function nextProofNo(db: Database, deliveryId: number): Promise<number> {
  const row = (await db.knex('proof').max('proof_no as last').where('delivery_id', deliveryId).first()) as
    { last: number | string | null } | undefined
  return Number(row?.last ?? 0) + 1
}

export async function recordProof(db: Database, deliveryId: number, proof: Proof): Promise<void> {
  await db.knex('proof').insert(
    proof.messages.map((m) => ({
      delivery_id: deliveryId,
      proof_no: proof.proofNo,
      delivery_version: proof.deliveryVersion,
      sent_by: proof.sentBy,
      sent_at: db.date(new Date(proof.sentAt)),
      email: m.email,
      profile_id: m.profileId,
      message_id: m.messageId,
      smtp_response: m.smtpResponse.slice(0, 500),
    })),
  )
}

/** A delivery's proofs, newest first, each with its messages. */
export async function listProofs(db: Database, deliveryId: number): Promise<Proof[]> {
  const rows: Record<string, unknown>[] = await db
    .knex('proof')
    .where('delivery_id', deliveryId)
    .orderBy([
      { column: 'proof_no', order: 'desc' },
      { column: 'id', order: 'asc' },
    ])
  const proofs = new Map<number, Proof>()
  for (const r of rows) {
    const proofNo = Number(r.proof_no)
    let proof = proofs.get(proofNo)
    if (!proof) {
      proof = {
        proofNo,
        deliveryVersion: Number(r.delivery_version),
        sentBy: String(r.sent_by),
        sentAt: new Date(r.sent_at as string).toISOString(),
        messages: [],
      }
      proofs.set(proofNo, proof)
    }
    proof.messages.push({
      email: String(r.email),
      profileId: Number(r.profile_id),
      messageId: String(r.message_id),
      smtpResponse: String(r.smtp_response ?? ''),
    })
  }
  return [...proofs.values()]
}

/** Whether a proof showed this version of the delivery (every edit makes a new version). */
export async function hasProofOfVersion(db: Database, deliveryId: number, version: number): Promise<boolean> {
  const row = await db.knex('proof').where({ delivery_id: deliveryId, delivery_version: version }).first('id')
  return Boolean(row)
}
