/**
 * NETCONF access control (RFC 8341, ietf-netconf-acm) for the emulated switches' NETCONF user: what a
 * lab engineer's automation account on a real switch would be given to run vmmi, and nothing more.
 *
 * - Reading is permitted (read-default permit), except what ietf-netconf-acm itself hides from every
 *   non-superuser (the `nacm` subtree is `default-deny-all`).
 * - Writing is denied (write-default deny) except the interfaces and routing trees vmmi's netconf-ietf
 *   driver edits.
 * - Operations are denied (exec-default deny) except the ones vmmi sends: no copy-config,
 *   delete-config or kill-session.
 *
 * Pure: the XML is placed inside the switch's startup `<config>`; `root` is netconfd's superuser and is
 * not subject to these rules (the switch's own data-plane agent logs in as root).
 */
import { escapeText as xmlEscape } from '../transports/netconf/xml-build.js';

export const NACM_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
/** The group the NETCONF user is put in (one group per switch, holding that user alone). */
export const NACM_GROUP = 'vmmi-operators';

/**
 * The configuration the user may create, update and delete: these top-level containers and everything
 * below them (ietf-ip and the unicast-routing modules augment them). Granted by `path` rules because
 * netconfd ignores rules by module-name for data (its module rules are unimplemented and fall through
 * to write-default), and it matches a path only against nodes that exist: {@link NACM_ANCHORS} keeps
 * the containers in the startup datastore so the first write under them is not refused.
 */
export const NACM_WRITABLE = [
  { prefix: 'if', ns: 'urn:ietf:params:xml:ns:yang:ietf-interfaces', top: 'interfaces' },
  { prefix: 'rt', ns: 'urn:ietf:params:xml:ns:yang:ietf-routing', top: 'routing' },
] as const;

/** Empty writable containers for a startup datastore, but for those it already holds (`present`). */
export function nacmAnchors(present: readonly string[] = []): string {
  return NACM_WRITABLE.filter((w) => !present.includes(w.top)).map((w) => `<${w.top} xmlns="${w.ns}"/>`).join('\n');
}

/**
 * Operations the user may run, by name in any module: servers define the base operations in modules of
 * their own (netconfd in yuma123-netconf, not ietf-netconf). close-session is always permitted (RFC 8341
 * §3.2.5).
 */
export const NACM_PERMITTED_RPCS = [
  'get', 'get-config', 'edit-config', 'lock', 'unlock', 'validate', 'commit', 'cancel-commit', 'discard-changes',
  'create-subscription', 'establish-subscription', 'delete-subscription',
] as const;

/**
 * One rule. `ops` is one operation or `*`: netconfd matches a rule's access-operations as one word, so
 * "create update delete" would match none of them.
 */
function rule(name: string, body: string, ops: 'exec' | '*', action: 'permit' | 'deny' = 'permit'): string {
  return `<rule><name>${xmlEscape(name)}</name><module-name>*</module-name>${body}` +
    `<access-operations>${ops}</access-operations><action>${action}</action></rule>`;
}

const pathOf = (prefix: string, ns: string, top: string): string =>
  `<path xmlns:${prefix}="${ns}">/${prefix}:${top}</path>`;

/** The `<nacm>` element granting `user` what vmmi needs. */
export function nacmXml(user: string): string {
  const rpcs = NACM_PERMITTED_RPCS.map((r) => rule(`exec-${r}`, `<rpc-name>${r}</rpc-name>`, 'exec'));
  const writes = NACM_WRITABLE.map((w) => rule(`write-${w.top}`, pathOf(w.prefix, w.ns, w.top), '*'));
  return [
    `<nacm xmlns="${NACM_NS}">`,
    '<enable-nacm>true</enable-nacm>',
    '<read-default>permit</read-default>',
    '<write-default>deny</write-default>',
    '<exec-default>deny</exec-default>',
    '<enable-external-groups>false</enable-external-groups>',
    `<groups><group><name>${NACM_GROUP}</name><user-name>${xmlEscape(user)}</user-name></group></groups>`,
    `<rule-list><name>${NACM_GROUP}</name><group>${NACM_GROUP}</group>`,
    ...rpcs,
    ...writes,
    // The access rules themselves stay out of reach, read included: RFC 8341 marks them default-deny-all,
    // but netconfd returns them to a get-config without this rule. Last, because netconfd lets the first
    // rule that grants `update` decide an update of ANY container or list entry, whatever its path (leaves
    // are matched by path): first, this deny would refuse every edit. Below a container every leaf is
    // still checked by path, so no leaf of nacm can be written.
    rule('hide-access-rules', pathOf('nacm', NACM_NS, 'nacm'), '*', 'deny'),
    '</rule-list>',
    '</nacm>',
  ].join('\n');
}
