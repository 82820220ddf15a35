/**
 * Running-config diffs for the "no residue" check, pure. XML configs are flattened into one line
 * per leaf (`/interfaces/interface[vmmi-1]/enabled = true`, list entries named by their first leaf,
 * which is the key in YANG-ordered output); text configs (CLI) are compared line by line.
 */
import { parseXml, type XNode } from '../../transports/netconf/xml.js';

export interface ConfigDiff {
  readonly same: boolean;
  /** Lines present after but not before. */
  readonly added: readonly string[];
  /** Lines present before but not after. */
  readonly removed: readonly string[];
}

/**
 * One line per leaf, sorted, so element order does not matter. An empty element that starts a new
 * namespace (a module's top container or an augment root) carries no configuration and is skipped:
 * servers differ in whether they keep such containers after their last child is removed.
 */
export function flattenXml(nodes: readonly XNode[], prefix = '', parentNs?: string): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    if (n.children.length === 0 && n.text.trim() === '' && n.ns !== parentNs) continue;
    if (n.children.length === 0) {
      out.push(`${prefix}/${n.name} = ${n.text.trim()}`);
      continue;
    }
    const first = n.children[0];
    const key = first !== undefined && first.children.length === 0 ? `[${first.text.trim()}]` : '';
    out.push(...flattenXml(n.children, `${prefix}/${n.name}${key}`, n.ns));
  }
  return out.sort();
}

/** Multiset difference of two line lists (blank lines and surrounding whitespace ignored). */
export function diffLines(before: readonly string[], after: readonly string[]): ConfigDiff {
  const count = new Map<string, number>();
  const norm = (l: string): string => l.trim();
  for (const l of before.map(norm).filter(Boolean)) count.set(l, (count.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of after.map(norm).filter(Boolean)) {
    const c = count.get(l) ?? 0;
    if (c > 0) count.set(l, c - 1);
    else added.push(l);
  }
  const removed: string[] = [];
  for (const [l, c] of count) for (let i = 0; i < c; i++) removed.push(l);
  return { same: added.length === 0 && removed.length === 0, added, removed };
}

const keepText = (t: string): string[] =>
  t.split('\n').filter((l) => !/^\s*(!|#|Building configuration|Current configuration)/.test(l));

/** Diff of two text configs (CLI `show running-config`), ignoring comment/timestamp lines. */
export function diffText(before: string, after: string): ConfigDiff {
  return diffLines(keepText(before), keepText(after));
}

/**
 * Canonical form of a running config for "same as before" checks: XML (NETCONF) as sorted leaf lines
 * (`flattenXml`), text (CLI) without comment and timestamp lines. Two reads that carry the same
 * configuration are equal even when the server reordered elements or kept a container emptied by the
 * run (netconfd keeps the emptied static-routes container after the last route is removed, so a raw
 * comparison reported residue after the first rollback on a fresh lab).
 */
export function canonicalConfig(text: string): string {
  const t = text.trim();
  if (t.startsWith('<')) {
    try {
      return flattenXml(parseXml(`<c>${t}</c>`).children).join('\n');
    } catch {
      // Not well-formed XML after all: compared as text.
    }
  }
  return keepText(t).map((l) => l.trimEnd()).join('\n');
}
