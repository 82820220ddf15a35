/**
 * Registry of the bad-input corpora, loaded lazily so a child process imports only the code it tests.
 */
import type { Corpus } from './harness.js';

export const corpora = {
  netconf: async () => (await import('./corpus-netconf.js')).netconfCorpus(),
  libvirt: async () => (await import('./corpus-libvirt.js')).libvirtCorpus(),
  testbed: async () => (await import('./corpus-testbed.js')).testbedCorpus(),
  'testbed-nesting': async () => (await import('./corpus-testbed.js')).testbedNestingCorpus(),
} satisfies Record<string, () => Promise<Corpus>>;

export type CorpusName = keyof typeof corpora;

export function isCorpusName(s: string): s is CorpusName {
  return Object.hasOwn(corpora, s);
}
