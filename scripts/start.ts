import { startEmbedded } from '../runtime/embedded'

/** `npm start`: Herald's embedded default. */
async function run() {
  const herald = await startEmbedded()
  // The worker's runtime handles SIGINT/SIGTERM by shutting the worker down; we stop the rest with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void herald.stop().then(() => process.exit(0))
    })
  }
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
