import crypto from 'node:crypto'

/**
 * The one seed of every choice the tests make at random (ports and temporary names aside): fast-check's
 * generated inputs and the secrets the tests make up. Fixed in `npm test`, so a commit passes or fails
 * the same way every time; `npm run test:explore` sets HERALD_TEST_SEED to a new one each run.
 */
export const defaultTestSeed = 20261128

export function testSeed(): number {
  const text = process.env.HERALD_TEST_SEED
  if (text === undefined || text === '') return defaultTestSeed
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`HERALD_TEST_SEED=${text} is not an integer`)
  return seed
}

/** A secret of `bytes` random-looking bytes, the same for the same seed and purpose. */
export function seededSecret(purpose: string, bytes = 24): string {
  return crypto
    .createHash('sha512')
    .update(`${testSeed()}:${purpose}`)
    .digest()
    .subarray(0, bytes)
    .toString('base64url')
}
