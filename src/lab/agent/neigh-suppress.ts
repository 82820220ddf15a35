/**
 * ARP/ND suppression of a lab switch, as the switch's agent reads it: a small JSON file next to the
 * agent's ownership record (`<lab dir>/sw/<switch>/neigh-suppress.json`, `{"neighSuppress":true}`).
 * harness/lab-control.ts `setLabArpNdSuppression` writes it and sets the flags of the ports that exist;
 * the agent gives every VXLAN bridge port of its config the flag on each reconcile, so a VXLAN port it
 * creates later (an EVPN attach during a move) gets it too. No file: the agent leaves the flag alone.
 *
 * Only VXLAN ports carry the flag. The kernel bridge answers an ARP request or a neighbour solicitation
 * itself (from the bridge's neighbour table) only when the request came in on a port WITHOUT
 * `neigh_suppress` and the target's FDB entry points at a port WITH it; a request that came in on a
 * suppressing port is flooded as if suppression were off (net/bridge/br_arp_nd_proxy.c). The flag on a
 * host-facing port would therefore turn the proxy off for the hosts behind it.
 */
import { readFile } from 'node:fs/promises';

export const NEIGH_SUPPRESS_FILE = 'neigh-suppress.json';

/** The file in a switch's state directory (the directory of the agent's `--state` file). */
export const neighSuppressFileIn = (dir: string): string => `${dir}/${NEIGH_SUPPRESS_FILE}`;

/** The file's text for a desired state. */
export const neighSuppressText = (on: boolean): string => `${JSON.stringify({ neighSuppress: on })}\n`;

/** The desired state in a file's text; undefined when the text says nothing usable (a problem to report). */
export function parseNeighSuppress(text: string): boolean | undefined {
  try {
    const v = (JSON.parse(text) as { neighSuppress?: unknown } | null)?.neighSuppress;
    return typeof v === 'boolean' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The desired state in `dir`: undefined when there is no file; a file that cannot be read or parsed
 * rejects naming it (the agent logs it and leaves the flags alone).
 */
export async function readNeighSuppress(dir: string): Promise<boolean | undefined> {
  const file = neighSuppressFileIn(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const on = parseNeighSuppress(text);
  if (on === undefined) throw new Error(`${file}: not {"neighSuppress": true|false}`);
  return on;
}
