/**
 * Interop with an independent client: Debian's python3-ncclient (run with /usr/bin/python3, not a
 * pyenv python) reads back what vmmi wrote, and vmmi reads back what ncclient wrote, on the same
 * netconfd. ncclient skips host key checks here: it is the oracle, on loopback, against a host key
 * this spec generated seconds ago.
 */
import { test, expect } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import {
  NS_IF,
  createNetconfDriver,
  el,
  e,
  netconfIetf,
  runLocal,
  childrenNamed,
  child,
  textAt,
  nodeOperation,
} from './netconf-imports.js';

const SCRIPT = `
import sys
from ncclient import manager
host, port, key, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = manager.connect(host=host, port=port, username='root', key_filename=key, hostkey_verify=False,
                    allow_agent=False, look_for_keys=False, timeout=20)
if mode == 'read':
    print(m.get_config(source='running').data_xml)
elif mode == 'write':
    name = sys.argv[5]
    cfg = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">'
           '<interface><name>%s</name><description>written by ncclient</description>'
           '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type></interface></interfaces></config>') % name
    with m.locked('candidate'):
        m.edit_config(target='candidate', config=cfg)
        m.commit()
    print('ok')
m.close_session()
`;

let lab: NetconfLab;
let script: string;
test.beforeAll(async () => {
  lab = await startNetconfLab(18402);
  script = join(lab.dir, 'ncc.py');
  await writeFile(script, SCRIPT);
});
test.afterAll(async () => {
  await lab?.stop();
});

async function ncclient(...args: string[]): Promise<string> {
  const r = await runLocal(
    ['/usr/bin/python3', script, '127.0.0.1', String(lab.port), lab.keys.clientEd25519, ...args],
    { timeoutMs: 60_000 },
  );
  if (r.failed) throw new Error(`ncclient ${args.join(' ')} failed: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

test('ncclient reads back the host route and port vmmi committed', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, netconfIetf, { device: 'sw', confirmTimeoutS: 30 });
  await d.attachSegment?.({ port: 'swp-ncc', vlan: 7, vni: 1007 });
  await d.addHostRoute?.({ prefix: '198.18.20.5/32', nextHop: '198.18.0.9', description: 'vmmi <&> "interop"' });
  const seen = await ncclient('read');
  expect(seen).toContain('<name>swp-ncc</name>');
  expect(seen).toContain('vmmi-segment vlan=7 vni=1007');
  expect(seen).toContain('<destination-prefix>198.18.20.5/32</destination-prefix>');
  expect(seen).toContain('<next-hop-address>198.18.0.9</next-hop-address>');
  expect(seen).toContain('vmmi &lt;&amp;&gt; "interop"');
  await d.removeHostRoute?.({ prefix: '198.18.20.5/32' });
  await d.detachSegment?.({ port: 'swp-ncc' });
  await d.close();
});

test('vmmi reads back what ncclient committed', async () => {
  expect((await ncclient('write', 'ncc-if-1')).trim()).toBe('ok');
  const c = await lab.connect();
  const r = await c.getConfig('running', {
    type: 'subtree',
    content: el('interfaces', { xmlns: NS_IF }, e('interface', e('name', 'ncc-if-1'))),
  });
  const ifs = childrenNamed(child(r.data, 'interfaces'), 'interface');
  expect(ifs.map((i) => [textAt(i, 'name'), textAt(i, 'description')])).toEqual([['ncc-if-1', 'written by ncclient']]);
  await c.editConfig(
    el('interfaces', { xmlns: NS_IF }, el('interface', nodeOperation('delete'), e('name', 'ncc-if-1'))),
  );
  await c.commit();
  await c.close();
});
