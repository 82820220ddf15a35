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
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';

export const NEIGH_SUPPRESS_FILE = 'neigh-suppress.json';

/**
 * A lab switch's state directory, `<lab dir>/sw/<switch>` (switches.ts `swDir`; the agent's `--state`
 * file is in it). Spelled here too so the knob need not load the switch launcher.
 */
export const switchStateDir = (labDir: string, name: string): string => `${labDir}/sw/${name}`;

/** The file in a switch's state directory (the directory of the agent's `--state` file). */
export const neighSuppressFileIn = (dir: string): string => `${dir}/${NEIGH_SUPPRESS_FILE}`;

/** The file's text for a desired state. */
export const neighSuppressText = (on: boolean): string => `${JSON.stringify({ neighSuppress: on })}\n`;

/** Writes the desired state into `dir` (made when missing), whole or not at all (a pass never reads half a file). */
export async function writeNeighSuppress(dir: string, on: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = neighSuppressFileIn(dir);
  await writeFile(`${file}.tmp`, neighSuppressText(on));
  await rename(`${file}.tmp`, file);
}

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

/** A bridge port as `ip -d -j link show master <bridge>` lists it: its kind and its `neigh_suppress`. */
export interface PortFlag {
  readonly port: string;
  readonly vxlan: boolean;
  /** Undefined when the output does not say (an iproute2 without the detail). */
  readonly neighSuppress: boolean | undefined;
}

/** The ports of `ip -d -j link show master <bridge>`; throws on text that is not that JSON. */
export function parsePortFlags(json: string): PortFlag[] {
  if (json.trim() === '') return [];
  type L = { ifname?: unknown; linkinfo?: { info_kind?: unknown; info_slave_data?: { neigh_suppress?: unknown } } };
  let arr: L[];
  try {
    arr = JSON.parse(json) as L[];
  } catch {
    throw new Error(`not JSON from ip -d -j link: ${json.slice(0, 120)}`);
  }
  if (!Array.isArray(arr)) throw new Error('ip -d -j link: not a list');
  return arr.flatMap((l): PortFlag[] => {
    if (typeof l.ifname !== 'string') return [];
    const ns = l.linkinfo?.info_slave_data?.neigh_suppress;
    return [{ port: l.ifname, vxlan: l.linkinfo?.info_kind === 'vxlan',
      neighSuppress: typeof ns === 'boolean' ? ns : undefined }];
  });
}

/** The flag each port should carry: on the VXLAN ports when `on`, off everywhere else (see the header). */
export const wantedFlag = (p: PortFlag, on: boolean): boolean => on && p.vxlan;

/** `bridge link set` commands that give every port its wanted flag (a port whose flag is unknown is set). */
export function portFlagCommands(ports: readonly PortFlag[], on: boolean): string[][] {
  return ports.filter((p) => p.neighSuppress !== wantedFlag(p, on))
    .map((p) => ['bridge', 'link', 'set', 'dev', p.port, 'neigh_suppress', wantedFlag(p, on) ? 'on' : 'off']);
}
