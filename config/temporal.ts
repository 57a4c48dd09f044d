import fs from 'node:fs'
import type { HeraldConfig } from './env'

/**
 * Connection options shared by the client (API) and the worker, plain or TLS / API key (managed Temporal).
 * TLS off is said explicitly: left unsaid, the SDK turns it on whenever an API key is given.
 */
export function temporalConnectionOptions(config: HeraldConfig['temporal']) {
  const { tls } = config
  return {
    address: config.address,
    apiKey: config.apiKey,
    tls: tls.enabled
      ? {
          serverNameOverride: tls.serverName,
          serverRootCACertificate: tls.serverCaPath ? fs.readFileSync(tls.serverCaPath) : undefined,
          clientCertPair:
            tls.clientCertPath && tls.clientKeyPath
              ? { crt: fs.readFileSync(tls.clientCertPath), key: fs.readFileSync(tls.clientKeyPath) }
              : undefined,
        }
      : false,
  }
}
