/** Small pure address helpers for the lab planner (IPv4 arithmetic, IPv6 prefix joins). */

export function v4ToInt(a: string): number {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new TypeError(`not an IPv4 address: ${a}`);
  }
  return (((p[0] ?? 0) << 24) >>> 0) + ((p[1] ?? 0) << 16) + ((p[2] ?? 0) << 8) + (p[3] ?? 0);
}

export function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Splits `a/len` (len required). */
export function splitCidr(c: string): { addr: string; len: number } {
  const [addr, len] = c.split('/');
  const n = Number(len);
  if (addr === undefined || len === undefined || !Number.isInteger(n)) throw new TypeError(`not a CIDR: ${c}`);
  return { addr, len: n };
}

/** True when IPv4 `addr` lies in `prefix` (`a.b.c.d/len`). */
export function v4InPrefix(addr: string, prefix: string): boolean {
  const { addr: net, len } = splitCidr(prefix);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((v4ToInt(addr) & mask) >>> 0) === ((v4ToInt(net) & mask) >>> 0);
}

/** The other usable address of the /30 or /31 holding `addr` (controller side of a management link). */
export function v4Peer(addr: string, len: number): string {
  const n = v4ToInt(addr);
  if (len === 31) return intToV4(n ^ 1);
  if (len === 30) {
    const base = (n & ~3) >>> 0;
    return intToV4(n - base === 1 ? base + 2 : base + 1);
  }
  throw new TypeError(`management links are /30 or /31, got /${len}`);
}

/** `2001:2:0:10::/64` + host id 11 → `2001:2:0:10::11` (host id written as hex digits of its decimal). */
export function v6Host(prefix: string, host: number): string {
  const { addr } = splitCidr(prefix);
  const base = addr.endsWith('::') ? addr : `${addr.replace(/:0*$/, '')}::`;
  return `${base}${host}`;
}

/** The address part of a CIDR. */
export const hostOf = (c: string): string => splitCidr(c).addr;
