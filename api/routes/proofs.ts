import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { SendMailOptions } from 'nodemailer'
import { isValidEmail } from '../../domain/address'
import { compileContent, composeMessage, fromHeader } from '../../mail/compose'
import { createMailer } from '../../mail/transport'
import type { IDelivery } from '../../persistence/entities'
import {
  hasProofOfVersion,
  listProofs,
  nextProofNo,
  proofProfiles,
  recordProof,
} from '../../persistence/proofs'
import type { ProofMessage } from '../../persistence/proofs'
import type { AppEnv } from '../auth'
import { ApiError, badRequest, conflict } from '../errors'
import { loadDelivery } from '../loaders'
import { allErrors as errors, errorReplies, guardedRoute as route, json, jsonBody } from '../openapi'
import * as s from '../schemas'
import type { ApiContext } from '../context'

export const ProofInput = z
  .strictObject({
    /** Where the proofs go (the proof addresses, not the target). */
    emails: z.array(z.string().max(320).refine(isValidEmail, 'not a valid email address')).min(1).max(10),
    /** Target profiles to personalise the proof for, each sent to every address; the first one by default. */
    asProfiles: z.array(z.number().int().positive()).min(1).max(5).optional(),
  })
  .openapi('ProofInput')

export const Proof = z
  .object({
    proofNo: z.number(),
    deliveryVersion: z.number(),
    sentBy: z.string(),
    sentAt: z.string(),
    messages: z.array(
      z.object({ email: z.string(), profileId: z.number(), messageId: z.string(), smtpResponse: z.string() }),
    ),
  })
  .openapi('Proof')

/** A proof is sent once the target is prepared, and until the send is confirmed. */
const proofStatuses = ['awaiting_approval', 'ready']

/** Whether this delivery's approval waits for a proof (its own choice, else HERALD_REQUIRE_PROOF). */
export const requiresProof = (ctx: ApiContext, delivery: IDelivery) =>
  delivery.requireProof ?? ctx.config.requireProof

/** Approval refuses (409) while no proof showed the delivery as it stands: none since its last edit. */
export async function checkProofBeforeApproval(ctx: ApiContext, delivery: IDelivery): Promise<void> {
  if (!requiresProof(ctx, delivery)) return
  if (await hasProofOfVersion(ctx.db, delivery.id, delivery.version)) return
  throw conflict(
    `delivery ${delivery.id} needs a proof before approval, and none was sent since its last change ` +
      `(${delivery.requireProof ? 'this delivery requires one' : 'HERALD_REQUIRE_PROOF'}): send one with ` +
      `POST /api/deliveries/${delivery.id}/proofs`,
    'proof_required',
  )
}

/**
 * Proofs (ACS): the message as chosen target profiles will get it, sent to proof addresses with
 * "[Proof N]" before the subject. Sent from the API process through the same SMTP relay as the workers:
 * the editor waits for the relay's answer and sees each Message-ID, and a proof touches neither the
 * delivery's workflow nor its sending logs — so it never counts in the KPIs and never changes the target.
 * Proofs carry no tracking: opening one cannot count as the profile's open.
 */
export function proofRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx

  const load = (id: number) => loadDelivery(db, id)

  app.openapi(
    route('editDeliveries', 'send a proof', {
      method: 'post',
      path: '/deliveries/{id}/proofs',
      summary: 'Send a proof: the message personalised for target profiles, to proof addresses',
      request: { params: s.IdParam, body: jsonBody(ProofInput) },
      responses: {
        201: json(Proof, 'The proof sent'),
        ...errors,
        ...errorReplies(409),
        502: json(s.ErrorReply, 'The SMTP relay refused every proof message'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const delivery = await load(id)
      if (!proofStatuses.includes(delivery.status))
        throw conflict(`a proof is sent once the delivery is prepared and before its send is confirmed`)
      const profiles = await proofProfiles(db, id, input.asProfiles)
      if ('missing' in profiles)
        throw badRequest(`asProfiles.${profiles.missing}`, 'not a profile of the prepared target')
      const proofNo = await nextProofNo(db, id)
      const messages = await sendProofMessages(ctx, delivery, proofNo, input.emails, profiles)
      const proof = {
        proofNo,
        deliveryVersion: delivery.version,
        sentBy: c.get('user').name,
        sentAt: new Date().toISOString(),
        messages,
      }
      await recordProof(db, id, proof)
      return c.json(proof, 201)
    },
  )

  app.openapi(
    route('read', 'read proofs', {
      method: 'get',
      path: '/deliveries/{id}/proofs',
      summary: 'The proofs sent, newest first: who, when, to whom, as which profile, Message-ID',
      request: { params: s.IdParam },
      responses: {
        200: json(z.object({ items: z.array(Proof), requireProof: z.boolean() }), 'The proofs'),
        ...errors,
      },
    }),
    async (c) => {
      const delivery = await load(c.req.valid('param').id)
      return c.json(
        { items: await listProofs(db, delivery.id), requireProof: requiresProof(ctx, delivery) },
        200,
      )
    },
  )

  return app
}

/** Sends every (address × profile) proof message; those the relay accepted are the proof. */
async function sendProofMessages(
  ctx: ApiContext,
  delivery: IDelivery,
  proofNo: number,
  emails: string[],
  profiles: Exclude<Awaited<ReturnType<typeof proofProfiles>>, { missing: number }>,
): Promise<ProofMessage[]> {
  const { smtp } = ctx.config
  const templates = compileContent({
    deliveryId: delivery.id,
    subject: delivery.subject,
    html: delivery.html ?? null,
    text: delivery.text ?? null,
    from: fromHeader(delivery.fromName ?? null, delivery.fromEmail ?? null, smtp.from),
  })
  const mailer = createMailer(smtp.url, 1)
  const sent: ProofMessage[] = []
  const refusals: string[] = []
  try {
    for (const [i, email] of emails.entries()) {
      for (const [j, profile] of profiles.entries()) {
        const message = composeMessage(templates, profile, smtp.messageIdDomain)
        // Its own Message-ID: a bounce of a proof is never taken for one of the delivery's messages.
        const messageId = `<herald.proof.d${delivery.id}.n${proofNo}.${i + 1}.${j + 1}.p${profile.profileId}@${smtp.messageIdDomain}>`
        const proof: SendMailOptions = {
          ...message,
          to: email,
          subject: `[Proof ${proofNo}] ${String(message.subject)}`,
          messageId,
          headers: { ...(message.headers as Record<string, string>), 'X-Herald-Proof': String(proofNo) },
        }
        try {
          const info = await mailer.transporter.sendMail(proof)
          sent.push({
            email,
            profileId: profile.profileId,
            messageId,
            smtpResponse: String(info.response ?? ''),
          })
        } catch (err) {
          refusals.push(`${email}: ${(err as Error).message}`)
        }
      }
    }
  } finally {
    mailer.close()
  }
  if (!sent.length)
    throw new ApiError(
      502,
      'smtp_refused',
      `the SMTP relay refused the proof: ${refusals.join('; ')}`.slice(0, 1000),
    )
  return sent
}
