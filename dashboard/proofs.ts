import type { Role } from '../domain/roles'
import { hasRight, type Right } from '../domain/roles'
import type { ApiCall } from './api-client'
import type { DeliveryJson } from './deployment'
import type { ProofJson, ProofsView } from './views/proofs'

/** The proofs block of a delivery page; null when this API has no proofs. */
export async function loadProofs(
  call: ApiCall,
  delivery: DeliveryJson,
  roles: readonly Role[],
  sendRight: Right | undefined,
): Promise<ProofsView | null> {
  if (!sendRight) return null
  const reply = await call<{ items: ProofJson[]; requireProof: boolean }>(
    'GET',
    `/api/deliveries/${delivery.id}/proofs`,
  )
  if (!reply.ok) return null
  const prepared = ['awaiting_approval', 'ready'].includes(delivery.status) && !delivery.recurringId
  return { ...reply.body, canSend: prepared && hasRight(roles, sendRight) }
}

/** The API body of "Send proof", from its form: lists split on commas; the API validates each item. */
export function proofBody(form: Record<string, unknown>): object {
  const list = (name: string) =>
    (typeof form[name] === 'string' ? (form[name] as string) : '')
      .split(/[,;\s]+/)
      .map((item) => item.trim())
      .filter(Boolean)
  const profiles = list('asProfiles').map((id) => (/^\d+$/.test(id) ? Number(id) : id))
  return { emails: list('emails'), ...(profiles.length ? { asProfiles: profiles } : {}) }
}
