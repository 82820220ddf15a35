/**
 * Pure IPv4/IPv6/MAC parsing and prefix arithmetic on bigints. No node:* (node:net's isIP would do
 * half of this, but inventory resolution must stay pure and testable without I/O).
 */

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** Address as an unsigned integer (32 or 128 bits). */
  readonly addr: bigint;
  readonly len: number;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseIpv4(s: string): bigint | undefined {
  if (!V4.test(s)) return undefined;
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

export function parseIpv6(s: string): bigint | undefined {
  if (s.length > 45 || s.length < 2) return undefined;
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tailV4 = parseIpv4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const side = (p: string): string[] | undefined => (p === '' ? [] : p.split(':'));
  const left = side(dbl[0] ?? '');
  const right = dbl.length === 2 ? side(dbl[1] ?? '') : [];
  if (left === undefined || right === undefined) return undefined;
  const groups = left.length + right.length;
  if (dbl.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const all = [...left, ...Array<string>(8 - groups).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

export function parseIp(s: string): { family: Family; addr: bigint } | undefined {
  const a4 = parseIpv4(s);
  if (a4 !== undefined) return { family: 4, addr: a4 };
  const a6 = parseIpv6(s);
  return a6 === undefined ? undefined : { family: 6, addr: a6 };
}

/** Parses `addr/len`; `len` defaults to the host length when `requireLen` is false. */
export function parseCidr(s: string, requireLen = true): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0 && requireLen) return undefined;
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (ip === undefined) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ...ip, len: max };
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  return len > max ? undefined : { ...ip, len };
}

function bits(f: Family): bigint {
  return f === 4 ? 32n : 128n;
}

export function networkOf(c: Cidr): bigint {
  const hostBits = bits(c.family) - BigInt(c.len);
  return (c.addr >> hostBits) << hostBits;
}

/** True when `c` has no host bits set (a proper prefix). */
export function isNetwork(c: Cidr): boolean {
  return networkOf(c) === c.addr;
}

export function contains(prefix: Cidr, family: Family, addr: bigint): boolean {
  if (prefix.family !== family) return false;
  const hostBits = bits(family) - BigInt(prefix.len);
  return addr >> hostBits === prefix.addr >> hostBits;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.len <= b.len ? a : b;
  const other = shorter === a ? b : a;
  return contains(shorter, other.family, other.addr);
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export function isMac(s: string): boolean {
  return MAC.test(s);
}

export function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

/** RFC 5952 text form of an IPv6 address. */
export function formatIpv6(v: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Address part of `addr/len` or a bare address. */
export function hostPart(s: string): string {
  const i = s.indexOf('/');
  return i < 0 ? s : s.slice(0, i);
}
