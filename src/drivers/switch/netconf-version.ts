/**
 * Version queries over NETCONF for the switch drivers. A dialect lists the queries it trusts, in
 * order (ietf-system platform data, OpenConfig system state, Junos `get-software-information`); the
 * first one that answers something is the device's version. When none does (an rpc-error, or an
 * empty answer: a server may know the model and serve no data for it), the fallback reports what
 * the server's hello says, and the vendor state the hello names (platforms/netconf-software.ts).
 * Transport failures (timeout, abort, closed session) are thrown for the caller to record: they say
 * nothing about the device's version, so they must not turn into a fallback answer.
 */
import { NetconfRpcError } from '../../errors/classes.js';
import { NETCONF_SOFTWARE, type VendorVersionState } from '../../platforms/netconf-software.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import type { XNode } from '../../transports/netconf/xml.js';
import type { IoOptions } from '../../util/abort.js';
import {
  NS_OC_SYS, NS_SYS, helloFacts, parseIetfPlatform, parseJunosSoftware, parseOcSystemState, parseVendorState,
  serverSoftware, type VersionFacts,
} from './version-parse.js';

/** One version query: what it is called in the report, how to ask, how to read the answer. */
export interface VersionQuery {
  readonly what: string;
  ask(c: NetconfClient, o: IoOptions): Promise<XNode | undefined>;
  parse(answer: XNode | undefined): VersionFacts;
}

const subtreeGet = (content: XElement) => async (c: NetconfClient, o: IoOptions): Promise<XNode | undefined> =>
  (await c.get({ type: 'subtree', content }, o)).data;

export const IETF_PLATFORM_QUERY: VersionQuery = {
  what: 'ietf-system system-state/platform',
  ask: subtreeGet(el('system-state', { xmlns: NS_SYS }, e('platform'))),
  parse: parseIetfPlatform,
};

export const OC_SYSTEM_QUERY: VersionQuery = {
  what: 'openconfig-system system/state',
  ask: subtreeGet(el('system', { xmlns: NS_OC_SYS }, e('state'))),
  parse: parseOcSystemState,
};

export const JUNOS_SOFTWARE_QUERY: VersionQuery = {
  what: 'junos get-software-information',
  ask: async (c, o) => (await c.rpc(e('get-software-information'), o)).root(),
  parse: parseJunosSoftware,
};

function vendorQuery(s: VendorVersionState): VersionQuery {
  return {
    what: `${s.child.ns} ${s.top.name}/${s.child.name}`,
    ask: subtreeGet(el(s.top.name, { xmlns: s.top.ns }, el(s.child.name, { xmlns: s.child.ns }))),
    parse: (d) => parseVendorState(d, s),
  };
}

/** The query's facts, or why it gave none (rpc-error or empty); other failures are thrown. */
async function attempt(c: NetconfClient, q: VersionQuery, o: IoOptions): Promise<VersionFacts | string> {
  try {
    const facts = q.parse(await q.ask(c, o));
    return Object.keys(facts).length > 0 ? facts : `${q.what}: empty answer`;
  } catch (err) {
    if (err instanceof NetconfRpcError) return `${q.what}: rpc-error ${err.message}`;
    throw err;
  }
}

/**
 * The device's version by the first answering query, tagged `source`; else the hello fallback,
 * tagged `source: netconf hello` with `unanswered` saying why the queries gave nothing.
 */
export async function readNetconfVersion(c: NetconfClient, queries: readonly VersionQuery[], o: IoOptions = {}):
  Promise<VersionFacts> {
  const misses: string[] = [];
  for (const q of queries) {
    const r = await attempt(c, q, o);
    if (typeof r !== 'string') return { source: q.what, ...r };
    misses.push(r);
  }
  const facts: VersionFacts = { source: 'netconf hello', ...helloFacts(c.capabilities, NETCONF_SOFTWARE) };
  const state = serverSoftware(c.capabilities, NETCONF_SOFTWARE)?.entry.state;
  if (state !== undefined) {
    const vq = vendorQuery(state);
    const r = await attempt(c, vq, o);
    if (typeof r === 'string') misses.push(r);
    else Object.assign(facts, r, { source: `netconf hello + ${vq.what}` });
  }
  if (misses.length > 0) facts.unanswered = misses.join('; ');
  return facts;
}
