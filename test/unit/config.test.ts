import { loadConfig, withoutPassword } from '../../config/env'
import { temporalConnectionOptions } from '../../config/temporal'

describe('configuration from the environment', () => {
  test('a URL shown in a message keeps everything but its password', () => {
    expect(withoutPassword('smtp://relay:s3cret@mail.example.com:587')).toBe(
      'smtp://relay:***@mail.example.com:587',
    )
    expect(withoutPassword('postgres://herald:p@ss@db:5432/herald')).toBe(
      'postgres://herald:***@db:5432/herald',
    )
    expect(withoutPassword('postgres://herald@db/herald')).toBe('postgres://herald@db/herald')
    expect(withoutPassword('smtp://127.0.0.1:2525')).toBe('smtp://127.0.0.1:2525')
  })

  test('a malformed SMTP or database URL stops the start, named, without its password', () => {
    const smtp = () => loadConfig({ SMTP_URL: 'smtp://relay:s3cret@127.0.0.1:99999' })
    expect(smtp).toThrow('SMTP_URL is not a valid URL: smtp://relay:***@127.0.0.1:99999')
    const database = () => loadConfig({ DATABASE_URL: 'postgres://herald:s3cret@db:port/herald' })
    expect(database).toThrow('DATABASE_URL is not a valid URL: postgres://herald:***@db:port/herald')
    expect(() => loadConfig({ DATABASE_URL: 'sqlite:data/herald.sqlite' })).not.toThrow()
  })

  test('requests time out after HERALD_REQUEST_TIMEOUT, 30 s unless set', () => {
    expect(loadConfig({}).api.requestTimeoutMs).toBe(30_000)
    expect(loadConfig({ HERALD_REQUEST_TIMEOUT: '2m' }).api.requestTimeoutMs).toBe(120_000)
  })

  test('alert settings: start pending 30 min, minimum rate off, a 10-minute window, a look a minute', () => {
    expect(loadConfig({}).alerts).toMatchObject({
      startPendingMs: 30 * 60_000,
      minRatePerMinute: 0,
      minRateWindowMs: 10 * 60_000,
      checkIntervalMs: 60_000,
    })
    const set = loadConfig({
      HERALD_ALERT_START_PENDING: '2s',
      HERALD_ALERT_MIN_RATE: '12.5',
      HERALD_ALERT_MIN_RATE_WINDOW: '5m',
      HERALD_ALERT_CHECK_INTERVAL: '300ms',
    }).alerts
    expect(set).toMatchObject({
      startPendingMs: 2000,
      minRatePerMinute: 12.5,
      minRateWindowMs: 300_000,
      checkIntervalMs: 300,
    })
    expect(() => loadConfig({ HERALD_ALERT_MIN_RATE: 'fast' })).toThrow(
      'HERALD_ALERT_MIN_RATE must be a number',
    )
    expect(() => loadConfig({ HERALD_ALERT_START_PENDING: 'soon' })).toThrow('HERALD_ALERT_START_PENDING')
  })

  test('a managed Temporal: an API key turns TLS on, unless TEMPORAL_TLS says otherwise', () => {
    const managed = loadConfig({ TEMPORAL_API_KEY: 'key', TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233' })
    expect(temporalConnectionOptions(managed.temporal)).toMatchObject({
      address: 'ns.acct.tmprl.cloud:7233',
      apiKey: 'key',
      tls: { serverNameOverride: undefined },
    })
    const plain = loadConfig({ TEMPORAL_API_KEY: 'key', TEMPORAL_TLS: 'false' })
    expect(temporalConnectionOptions(plain.temporal).tls).toBe(false)
    expect(temporalConnectionOptions(loadConfig({}).temporal)).toMatchObject({
      apiKey: undefined,
      tls: false,
    })
  })

  test('HERALD_APPROVAL is always (the default) or optional; anything else stops the start', () => {
    expect(loadConfig({}).approval).toBe('always')
    expect(loadConfig({ HERALD_APPROVAL: 'optional' }).approval).toBe('optional')
    expect(() => loadConfig({ HERALD_APPROVAL: 'never' })).toThrow(
      'HERALD_APPROVAL must be always or optional',
    )
  })

  test('HERALD_TRUST_PROXY takes addresses and CIDR subnets; none by default; a typo stops the start', () => {
    expect(loadConfig({}).api.trustProxy).toEqual([])
    expect(loadConfig({ HERALD_TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1,::1 ,fd00::/8' }).api.trustProxy).toEqual(
      ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'],
    )
    for (const wrong of ['true', '10.0.0.0/33', '10.0.0/8', 'proxy.example', '10.0.0.1/8/1', '::1/129'])
      expect(() => loadConfig({ HERALD_TRUST_PROXY: wrong })).toThrow('HERALD_TRUST_PROXY takes IP addresses')
  })

  test('a self-hosted Temporal with mTLS: its CA turns TLS on and is given to the connection', () => {
    const config = loadConfig({ TEMPORAL_TLS_CA: __filename })
    expect(config.temporal.tls).toMatchObject({ enabled: true, serverCaPath: __filename })
    const options = temporalConnectionOptions(config.temporal)
    const tls = options.tls as { serverRootCACertificate?: Buffer }
    expect(tls.serverRootCACertificate?.length).toBeGreaterThan(0)
  })
})
