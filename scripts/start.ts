import { startEmbedded } from '../runtime/embedded'
import { StartRefused } from '../runtime/ports'

/** `npm start`: Herald's embedded default. */
function run() {
  const herald = startEmbedded()
  // The worker's runtime handles SIGINT/SIGTERM by shutting the worker down; we stop the rest with it.
  // SIGHUP (the terminal closed) stops Herald the same way rather than killing it outright. A signal
  // during startup stops Herald once it has started, so nothing it started is left behind.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      // A failed start is reported (and exits) below.
      herald
        .then((h) => h.stop())
        .then(
          () => process.exit(0),
          () => undefined,
        )
    })
  }
  herald.catch((err) => {
    console.error(err instanceof StartRefused ? `[herald] ${err.message}` : err)
    process.exit(1)
  })
}

run()
