/**
 * Validation of the DCI intents (L2 stretch, L3VPN) before any payload is built. Pure. Every
 * rejection is a UsageError naming the field, the value and what is allowed; the formats are the
 * intersection of what the OpenConfig, Junos and EOS models take.
 */
import { PrecheckError, UsageError } from '../../errors/classes.js';
import type { L2Stretch, L3Vpn } from './types.js';

export const VNI_MAX = 16777215;
const U16 = 65535;
const U32 = 4294967295;

/** Decimal without leading zeros, within 0..max. */
function dec(s: string, max: number): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(s) && Number(s) <= max;
}

function ipv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((o) => dec(o, 255));
}

/** `ASN:nn` (2-byte AS with a 4-byte number, or 4-byte AS with a 2-byte number). */
function asnPair(s: string): boolean {
  const m = /^(\d+):(\d+)$/.exec(s);
  if (m === null) return false;
  const [a, n] = [m[1] as string, m[2] as string];
  return (dec(a, U16) && dec(n, U32)) || (dec(a, U32) && dec(n, U16));
}

export function isRouteDistinguisher(rd: string): boolean {
  const i = rd.lastIndexOf(':');
  if (i > 0 && ipv4(rd.slice(0, i))) return dec(rd.slice(i + 1), U16);
  return asnPair(rd);
}

export function isRouteTarget(rt: string): boolean {
  return rt.startsWith('target:') && asnPair(rt.slice('target:'.length));
}

/** `target:65000:100` → `65000:100` (the form EOS and OpenConfig's tagged union carry). */
export function rtValue(rt: string): string {
  return rt.slice('target:'.length);
}

/** `xe-0/0/2.10` → `{ name: 'xe-0/0/2', unit: 10 }`; no unit → 0. */
export function splitInterface(ref: string): { name: string; unit: number } {
  const m = /^(.*)\.(\d+)$/.exec(ref);
  return m === null ? { name: ref, unit: 0 } : { name: m[1] as string, unit: Number(m[2]) };
}

const NAME = /^[A-Za-z][\w-]{0,30}$/;
const IFACE = /^[A-Za-z][\w/:-]*(\.\d{1,5})?$/;

class Checker {
  constructor(private readonly what: string, private readonly device: string | undefined) {}

  fail(field: string, value: unknown, allowed: string): never {
    throw new UsageError(`${this.what}.${field}: ${JSON.stringify(value)} is not allowed; allowed: ${allowed}`, {
      operation: this.what, ...(this.device !== undefined ? { device: this.device } : {}),
    });
  }

  int(field: string, v: number, min: number, max: number): void {
    if (!Number.isInteger(v) || v < min || v > max) this.fail(field, v, `an integer ${min}..${max}`);
  }

  rd(rd: string): void {
    if (!isRouteDistinguisher(rd)) {
      this.fail('routeDistinguisher', rd, 'ASN:nn (AS ≤ 65535 with nn ≤ 4294967295, or AS ≤ 4294967295 with '
        + 'nn ≤ 65535) or IPv4:nn (nn ≤ 65535), e.g. 65000:100 or 198.18.255.1:100');
    }
  }

  targets(field: string, rts: readonly string[]): void {
    if (rts.length === 0) this.fail(field, rts, 'at least one route target');
    for (const [i, rt] of rts.entries()) {
      if (!isRouteTarget(rt)) this.fail(`${field}[${i}]`, rt, 'target:ASN:nn, e.g. target:65000:100');
    }
  }

  name(field: string, n: string): void {
    if (!NAME.test(n)) this.fail(field, n, 'a letter then up to 30 letters, digits, "_" or "-"');
  }

  iface(field: string, n: string): void {
    if (!IFACE.test(n)) this.fail(field, n, 'an interface name, optionally with .unit (e.g. xe-0/0/2.0, Loopback0)');
  }

  localAs(v: number | undefined): void {
    if (v !== undefined) this.int('localAs', v, 1, U32);
  }
}

/** Throws UsageError on the first field that is out of range or malformed. */
export function checkL2Stretch(s: L2Stretch, device?: string): void {
  const c = new Checker('l2Stretch', device);
  c.int('vni', s.vni, 1, VNI_MAX);
  c.int('vlan', s.vlan, 1, 4094);
  if (s.name !== undefined) c.name('name', s.name);
  c.rd(s.routeDistinguisher);
  c.targets('importTargets', s.importTargets);
  c.targets('exportTargets', s.exportTargets);
  c.iface('vtepInterface', s.vtepInterface);
  c.localAs(s.localAs);
}

/** Throws UsageError on the first field that is out of range or malformed. */
export function checkL3Vpn(v: L3Vpn, device?: string): void {
  const c = new Checker('l3Vpn', device);
  c.name('name', v.name);
  c.rd(v.routeDistinguisher);
  c.targets('importTargets', v.importTargets);
  c.targets('exportTargets', v.exportTargets);
  for (const [i, f] of v.interfaces.entries()) c.iface(`interfaces[${i}]`, f);
  c.localAs(v.localAs);
}

/** A platform's own limit on top of the common rules, reported like the common ones. */
export function platformLimit(what: 'l2Stretch' | 'l3Vpn', field: string, value: unknown, allowed: string,
  device?: string): never {
  return new Checker(what, device).fail(field, value, allowed);
}

export function l2StretchName(s: L2Stretch): string {
  return s.name ?? `vmmi-l2-${s.vni}`;
}

/**
 * The description vmmi writes on an instance it creates (OpenConfig network instance, Junos routing
 * instance): a removal takes an instance away only when running still carries it, so what vmmi did not
 * create is never deleted, also after a restart of the controller.
 */
export function dciMarker(s: { vni: number; vlan: number } | { name: string }): string {
  return 'vni' in s ? `vmmi L2 stretch VNI ${s.vni} VLAN ${s.vlan}` : `vmmi L3VPN ${s.name}`;
}

/**
 * An apply or removal that would take or destroy configuration vmmi did not create: a PrecheckError
 * naming the device, the instance and what running holds. Nothing has been edited when it is thrown.
 */
export function dciRefusal(what: 'l2Stretch' | 'l3Vpn', op: 'apply' | 'remove', device: string, instance: string,
  found: string): PrecheckError {
  const hint = op === 'apply'
    ? 'choose another name (or VNI/VLAN), or remove what is there yourself'
    : 'vmmi removes only what it created; remove it yourself if it should go';
  return new PrecheckError(`${instance}: ${found}; nothing changed`, { device, operation: `${op} ${what}`, hint });
}
