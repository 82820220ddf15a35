/**
 * The one shell script the SSH monitor runs on a Linux-based NOS, as a constant: its only input is a
 * positional word the script matches against fixed choices (`route`, `fdb`), so nothing received from
 * a testbed, a device or a caller ever becomes shell text.
 *
 * Why a script rather than bare `ip monitor`: `start` must not resolve before the kernel delivers
 * changes to the monitor, or a change made right after it could be missed. The monitor's netlink
 * socket is subscribed once its row in /proc/net/netlink (protocol 0 = NETLINK_ROUTE) shows non-zero
 * multicast groups. The row is found by port id = the monitor's pid (the kernel binds a process's first
 * free netlink port to its pid; iproute2's subscribed socket gets it) or, where that id was taken, by
 * the socket inode among the monitor's /proc/<pid>/fd links. The script polls for that row (10 ms
 * steps, 500 at most), then prints `VMMI-READY <pid>` on stdout, a line no monitor output can take.
 * Without a readable /proc it cannot tell and says so (`VMMI-ERR no-proc`) instead of guessing.
 *
 * Why stdin: the script keeps the channel's stdin open on fd 3 and, once ready, waits in the
 * background for its EOF, then ends the monitor. The controller ends a monitor by closing stdin, and a
 * connection that drops closes it too, so no monitor outlives its channel; `timeout` (outside the
 * script) bounds the whole process group's life even if everything else fails.
 */
import { PrecheckError } from '../../errors/classes.js';
import { VmmiError } from '../../errors/vmmi-error.js';

export type MonitorWhat = 'route' | 'fdb';

export const MONITOR_SCRIPT = `exec 3<&0
case "$1" in
  route) ip -ts -o monitor label route neigh </dev/null & ;;
  fdb) bridge -t monitor fdb </dev/null & ;;
  *) echo "VMMI-ERR usage: route|fdb" >&2; exit 2 ;;
esac
pid=$!
if [ ! -r /proc/net/netlink ] || [ ! -d "/proc/$pid/fd" ]; then
  kill "$pid" 2>/dev/null
  echo "VMMI-ERR no-proc: /proc/net/netlink or /proc/$pid/fd is not readable" >&2
  exit 3
fi
n=0
while :; do
  inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\\[\\([0-9]*\\)\\].*/\\1/p' | tr '\\n' ' ')
  if awk -v p="$pid" -v i=" $inodes" 'NR > 1 && $2 == 0 && $4 !~ /^0+$/ && ($3 == p || index(i, " " $10 " ")) { f = 1 }
    END { exit !f }' /proc/net/netlink; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; echo "VMMI-ERR exited: status $?" >&2; exit 4; fi
  n=$((n + 1))
  if [ "$n" -ge 500 ]; then kill "$pid" 2>/dev/null; echo "VMMI-ERR not-subscribed after 500 polls" >&2; exit 5; fi
  sleep 0.01
done
echo "VMMI-READY $pid"
{ cat <&3 >/dev/null 2>&1; kill "$pid" 2>/dev/null; } &
wait "$pid"
`;

/** argv of one monitor: the fixed script under `timeout` (seconds, whole process group, then KILL). */
export function monitorArgv(what: MonitorWhat, lifetimeMs: number): string[] {
  if (what !== 'route' && what !== 'fdb') throw new TypeError(`monitor: route or fdb, got "${String(what)}"`);
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) throw new TypeError(`maxLifetimeMs: > 0, got ${lifetimeMs}`);
  const secs = Math.ceil(lifetimeMs / 1000) + 1;
  return ['timeout', '-k', '2', String(secs), 'sh', '-c', MONITOR_SCRIPT, 'vmmi-monitor', what];
}

/** The pid in a `VMMI-READY <pid>` line, else undefined. */
export function readyPid(line: string): number | undefined {
  const m = /^VMMI-READY (\d+)$/.exec(line.trim());
  return m === null ? undefined : Number(m[1]);
}

/** The error for a monitor that did not become ready: what the script said, or how the channel ended. */
export function startError(device: string, what: MonitorWhat, stderr: string, exit: string): VmmiError {
  const said = /VMMI-ERR (.*)/.exec(stderr)?.[1]?.trim();
  const operation = `${what} monitor start`;
  if (said?.startsWith('no-proc') === true) {
    return new PrecheckError(`cannot confirm the netlink subscription: ${said}`, { device, operation,
      hint: 'the SSH exec observer needs /proc readable by the login user; use a NETCONF observer otherwise' });
  }
  const detail = said ?? (stderr.trim().slice(-300) || `channel ended (${exit})`);
  return new VmmiError('PROBE', detail, { device, operation,
    hint: 'the login must reach a Linux shell with iproute2 (ip, bridge), timeout, awk and sed' });
}
