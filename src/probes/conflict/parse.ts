/**
 * Pure parsers and address helpers of the IP conflict check: iputils `arping -D` output, the DAD
 * state of an address in `ip -6 -o addr show`, and the link-layer address in `ip -6 neigh show`.
 */

export interface ArpReply {
  readonly ip: string;
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
}

/** `Unicast reply from 198.18.251.7 [42:48:3A:48:CC:1E]  0.568ms` lines (several holders possible). */
export function parseArping(stdout: string): { readonly replies: readonly ArpReply[]; readonly sent?: number } {
  const replies: ArpReply[] = [];
  for (const m of stdout.matchAll(/(?:Unicast|Broadcast) reply from (\S+) \[([0-9A-Fa-f:]{17})\]/g)) {
    const ip = m[1];
    const mac = m[2]?.toLowerCase();
    if (ip !== undefined && mac !== undefined && !replies.some((r) => r.mac === mac)) replies.push({ ip, mac });
  }
  const sent = /Sent (\d+) probe/.exec(stdout)?.[1];
  return { replies, ...(sent === undefined ? {} : { sent: Number(sent) }) };
}

/** Expands an IPv6 address to 8 groups of 4 hex digits (undefined when malformed); IPv4 unchanged. */
export function canonicalIp(a: string): string | undefined {
  const s = a.trim().toLowerCase().replace(/\/\d+$/, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((o) => Number(o) <= 255) ? s : undefined;
  if (!/^[0-9a-f:]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head === '' || head === undefined ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...new Array<string>(fill).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => g.length === 0 || g.length > 4)) return undefined;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

export const sameIp = (a: string, b: string): boolean => {
  const x = canonicalIp(a);
  return x !== undefined && x === canonicalIp(b);
};

export type DadState = 'tentative' | 'dadfailed' | 'valid' | 'absent';

/** DAD state of `address` in `ip -6 -o addr show dev X` output. */
export function parseDadState(stdout: string, address: string): DadState {
  for (const line of stdout.split('\n')) {
    const m = /\binet6 (\S+)\s(.*)$/.exec(line);
    if (m === null || !sameIp(m[1] ?? '', address)) continue;
    const flags = m[2] ?? '';
    if (/\bdadfailed\b/.test(flags)) return 'dadfailed';
    if (/\btentative\b/.test(flags)) return 'tentative';
    return 'valid';
  }
  return 'absent';
}

/** `2001:2:0:251::7 lladdr 42:48:3a:48:cc:1e REACHABLE` → the MAC (entries without lladdr ignored). */
export function parseNeighMac(stdout: string, address: string): string | undefined {
  for (const line of stdout.split('\n')) {
    const t = line.trim().split(/\s+/);
    const i = t.indexOf('lladdr');
    if (t[0] !== undefined && sameIp(t[0], address) && i > 0 && t[i + 1] !== undefined) return t[i + 1]?.toLowerCase();
  }
  return undefined;
}
