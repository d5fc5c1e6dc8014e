import type { RegistryClientOptions } from '../../src/registry/client.js';
import type { TransportLimits, TransportOptions } from '../../src/registry/transport.js';
import { DEFAULT_SETTINGS } from '../../src/settings.js';

/**
 * The registry stage has no defaults for what the settings table decides (the scan passes them);
 * tests that build a client or a transport directly take the table's defaults from here.
 */
export const TRANSPORT_LIMITS: TransportLimits = {
  requestTimeoutMs: DEFAULT_SETTINGS.timeout,
  connectionsPerOrigin: DEFAULT_SETTINGS.perRegistryConcurrency,
};

export type ClientOverrides = Partial<Omit<RegistryClientOptions, 'transport'>> & {
  transport?: Partial<TransportOptions>;
};

/** A client's options at the settings table's defaults, with these overrides (transport ones merged). */
export function clientOptions(options: ClientOverrides = {}): RegistryClientOptions {
  return {
    concurrency: DEFAULT_SETTINGS.concurrency,
    perRegistryConcurrency: DEFAULT_SETTINGS.perRegistryConcurrency,
    ...options,
    transport: { requestTimeoutMs: DEFAULT_SETTINGS.timeout, ...options.transport },
  };
}
