/**
 * Run-time guard: a testbed without a `lab:` section is hardware, reached only through management
 * interfaces, so no process vmmi starts for it may enter (or create) a network namespace. Every
 * process start in src/exec/ passes its argv through {@link checkNamespaceEntry}; while a hardware
 * testbed is open (`forbidNamespaceEntry`), an argv that would enter a namespace (`ip netns …`,
 * `ip -n …`, `bridge -n …`, `tc -n …`, `nsenter`, `unshare`) is refused with a UsageError, counted,
 * and, when VMMI_NETNS_AUDIT names a file, appended to it (one JSON line per refusal), so a suite can
 * prove across processes that nothing tried, even where a caller swallowed the error.
 */
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors/classes.js';

const reasons: string[] = [];
let refused = 0;

const NS_TOOLS = new Set(['nsenter', 'unshare']);
const NS_OPTION_TOOLS = new Set(['ip', 'bridge', 'tc']);
const NS_WORDS = new Set(['netns', '-n', '-netns', '--netns']);

/** True when argv (or a wrapper's argv such as `timeout 5 ip netns exec …`) enters or makes a namespace. */
export function entersNamespace(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const tool = basename(argv[i] ?? '');
    if (NS_TOOLS.has(tool)) return true;
    if (NS_OPTION_TOOLS.has(tool)) {
      // The tool's own options and object come right after it; a later `-n` belongs to its command.
      for (let j = i + 1; j < argv.length && j <= i + 3; j++) if (NS_WORDS.has(argv[j] ?? '')) return true;
    }
  }
  return false;
}

/**
 * Forbids namespace entry in this process until the returned function is called (nested calls
 * stack). `why` names the testbed, for the error message.
 */
export function forbidNamespaceEntry(why: string): () => void {
  reasons.push(why);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const i = reasons.indexOf(why);
    if (i >= 0) reasons.splice(i, 1);
  };
}

/** Whether namespace entry is forbidden now (VMMI_FORBID_NETNS=1 forbids it for the whole process). */
export function namespaceEntryForbidden(): boolean {
  return reasons.length > 0 || process.env.VMMI_FORBID_NETNS === '1';
}

/** Namespace entries refused in this process so far. */
export function refusedNamespaceEntries(): number {
  return refused;
}

/** Throws (and records) when argv would enter a namespace while that is forbidden. */
export function checkNamespaceEntry(argv: readonly string[]): void {
  if (!namespaceEntryForbidden() || !entersNamespace(argv)) return;
  refused++;
  const why = reasons[reasons.length - 1] ?? 'VMMI_FORBID_NETNS=1';
  const audit = process.env.VMMI_NETNS_AUDIT;
  if (audit !== undefined && audit !== '') {
    try {
      appendFileSync(audit, `${JSON.stringify({ pid: process.pid, argv: argv.slice(0, 6), why })}\n`);
    } catch { /* the refusal below still stops the command */ }
  }
  throw new UsageError(`refused to enter a network namespace (${argv.slice(0, 4).join(' ')} …): ${why}`, {
    operation: 'start process',
    hint: 'a testbed without a lab section is reached only through its devices\' management interfaces; '
      + 'describe how (ssh traffic hosts, switch platforms) instead of namespaces',
  });
}
