import { expect, test } from '@playwright/test';
import type { CommandResult } from '../types.js';
import { classifyVirshError, virshMessage } from './virsh.js';

const failed = (stderr: string, over: Partial<CommandResult> = {}): CommandResult => ({
  argv: ['virsh', 'x'], stdout: '', stderr, exitCode: 1, durationMs: 15, failed: true, timedOut: false, ...over,
});

// stderr texts as printed by virsh 9.0.0 with LC_ALL=C.
test('libvirt failures become LibvirtError with the code the text stands for', () => {
  const cases: Array<[string, number, string]> = [
    ["error: failed to get domain 'nope'\n", 42, 'no-domain'],
    ['error: Domain is already active\n', 55, 'operation-invalid'],
    ['error: operation aborted: migration out: canceled by client\n', 78, 'aborted'],
    ['error: this function is not supported by the connection driver: virDomainGetJobStats\n', 3, 'no-support'],
    [
      'error: internal error: Attempt to migrate guest to the same host 6c61622d-6876-4000-8000-000000000001\n',
      1,
      'internal',
    ],
    ['error: Requested operation is not valid: domain is not running\n', 55, 'operation-invalid'],
  ];
  for (const [stderr, code, name] of cases) {
    expect(classifyVirshError(failed(stderr))).toMatchObject({
      code: 'LIBVIRT',
      libvirtCode: code,
      libvirtName: name,
      libvirtDomain: -1,
    });
  }
});

test('transport failures are ConnectionErrors; unknown text stays a CommandError with argv', () => {
  expect(
    classifyVirshError(
      failed(
        "error: failed to connect to the hypervisor\nerror: unable to connect to server at '127.0.0.1:1': Connection refused\n",
      ),
    ),
  ).toMatchObject({ code: 'CONNECTION' });
  expect(
    classifyVirshError(failed("error: Failed to connect socket to '/x': No such file or directory\n")),
  ).toMatchObject({ code: 'CONNECTION' });
  const e = classifyVirshError(failed('error: something new\n'));
  expect(e).toMatchObject({ code: 'COMMAND', argv: ['virsh', 'x'] });
  expect(e.message).toContain('something new');
  expect(classifyVirshError(failed('', { timedOut: true }))).toMatchObject({ code: 'COMMAND' });
  expect(virshMessage('error: a\nerror: b\n')).toBe('a; b');
});
