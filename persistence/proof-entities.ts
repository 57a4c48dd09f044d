import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Delivery } from './entities'

/** One proof message (persistence/proofs.ts reads and writes them; the migration is the schema). */
export const Proof = defineEntity({
  name: 'Proof',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    proofNo: p.integer(),
    /** The delivery's version the proof showed: approval asks for one of the current version. */
    deliveryVersion: p.integer(),
    sentBy: p.string().length(255),
    sentAt: p.datetime(),
    email: p.string().length(320),
    profileId: p.integer(),
    messageId: p.string().length(998),
    smtpResponse: p.string().length(500).nullable(),
  },
  indexes: [{ properties: ['delivery', 'proofNo'] }],
})
export type IProof = InferEntity<typeof Proof>
