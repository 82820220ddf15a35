import { readFile, writeFile } from 'node:fs/promises';
import type { IoOptions } from '../util/abort.js';
import { pollWithProgress } from '../util/abort.js';
import { LabError } from '../errors/classes.js';
import { HV_PKI_PATH, ensureLabPki } from './lab-pki.js';
import { startLibvirtd, stopLibvirtdIn } from './libvirtd.js';
import { verifiedPid } from './proc.js';
import { spawnDetached } from '../exec/spawn.js';
import { runLocal } from '../exec/local.js';
import { HV_BRIDGE, type HypervisorPlan, type LabPlan } from './topology.js';

/**
 * One libvirtd per hypervisor namespace (libvirtd.ts: private mount + UTS namespaces, own state
 * directories under `<lab dir>/<hv>`, capabilities cache kept across runs). The controller reaches it
 * at `<lab dir>/<hv>/run/libvirt-sock`; hosts migrate to each other over TLS inside the lab, with
 * certificates of the lab's own CA (lab-pki.ts), and the hardware view reaches them the same way.
 */

/** libvirtd's default TLS port; the testbed's migration URIs (`qemu+tls://<address>/system`) rely on it. */
export const LIBVIRT_TLS_PORT = 16514;

export const hvSocket = (hv: HypervisorPlan): string => `${hv.dir}/run/libvirt-sock`;
export const hvUnixUri = (hv: HypervisorPlan): string => `qemu+unix:///system?socket=${hvSocket(hv)}`;
/** Serial console log of a guest on this host, as written by QEMU inside the host's mount namespace. */
export const serialLog = (hv: HypervisorPlan, vm: string): string => `${hv.dir}/log/qemu/${vm}.serial`;

/**
 * Scheduling priority of a running guest's QEMU: the nice value of its session's autogroup
 * (`/proc/PID/autogroup`). The lab's guest-priority keeper ({@link ensureGuestPriority}) raises it to
 * {@link GUEST_NICE} for the guest's whole life, on every host it migrates to; this reads it back so
 * `lab up` can say so. undefined when the pid file or the autogroup is not there.
 */
export async function guestNice(hv: HypervisorPlan, vm: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(`${hv.dir}/run/qemu/${vm}.pid`, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    const m = /nice (-?\d+)/.exec(await readFile(`/proc/${pid}/autogroup`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export async function libvirtdPid(hv: HypervisorPlan): Promise<number | undefined> {
  return verifiedPid(`${hv.dir}/run/libvirtd.pid`, ['libvirtd']);
}

/**
 * Pins the MAC of a hypervisor's bridge to the one it has now (its uplink's). A bridge without an
 * address of its own takes the lowest MAC among its ports, and the tap libvirt adds for a guest
 * carries fe:54:… from the guest's MAC: when the uplink's random MAC sorts above that, the bridge
 * takes the tap's MAC, which is also the guest tap's MAC on the source host, whose bridge then drops
 * every frame from this host as its own (migration's control connection stalls until keepalive
 * gives up). An address set explicitly is kept whatever ports join.
 */
async function pinBridgeMac(hv: HypervisorPlan, opts: IoOptions): Promise<void> {
  const io = { timeoutMs: 10_000, ...opts };
  const shown = await runLocal(['ip', '-n', hv.ns, '-j', 'link', 'show', 'dev', HV_BRIDGE], io);
  const mac = (JSON.parse(shown.failed ? '[]' : shown.stdout) as { address?: string }[])[0]?.address;
  const set = mac === undefined ? undefined
    : await runLocal(['ip', '-n', hv.ns, 'link', 'set', 'dev', HV_BRIDGE, 'address', mac], io);
  if (set === undefined || set.failed) {
    throw new LabError(`cannot pin the MAC of ${HV_BRIDGE}: ${(set ?? shown).stderr.trim() || 'no address'}`, {
      device: hv.name, operation: 'start hypervisor',
    });
  }
}

/** Starts the daemons not running (in parallel); returns the names of those started. */
export async function ensureHypervisors(plan: LabPlan, opts: IoOptions = {}): Promise<string[]> {
  const started: string[] = [];
  await ensureLabPki(plan, opts);
  const tls = { port: LIBVIRT_TLS_PORT, caFile: `${HV_PKI_PATH}/cacert.pem`, certFile: `${HV_PKI_PATH}/servercert.pem`,
    keyFile: `${HV_PKI_PATH}/serverkey.pem` };
  await Promise.all(plan.hypervisors.map(async (hv) => {
    if ((await libvirtdPid(hv)) !== undefined) return;
    await pinBridgeMac(hv, opts);
    try {
      await startLibvirtd({
        dir: hv.dir, netns: hv.ns, hostname: hv.name, listenAddr: hv.address, tls,
        hostUuid: hv.hostUuid, migrationAddress: hv.address, driver: 'qemu', timeoutMs: opts.timeoutMs ?? 20_000,
        libvirtdConf: hv.files['libvirtd.conf'], qemuConf: hv.files['qemu.conf'], userfaultfdForQemu: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      throw new LabError(`libvirtd did not start: ${(e as Error).message}`, {
        device: hv.name,
        operation: 'start hypervisor',
        cause: e,
      });
    }
    started.push(hv.name);
  }));
  return started;
}

export async function stopHypervisors(plan: LabPlan): Promise<void> {
  await Promise.all(plan.hypervisors.map((hv) => stopLibvirtdIn(hv.dir)));
}

/**
 * Waits until a guest's serial log (on whichever host runs it now) shows `LAB-GUEST-READY` after
 * byte `fromOffset`; returns the line.
 */
export async function waitGuestReady(
  hv: HypervisorPlan,
  vm: string,
  fromOffset: number,
  timeoutMs: number,
): Promise<string> {
  let text = '';
  try {
    // The deadline follows the boot's progress (the console still growing), bounded by 4 × timeoutMs:
    // a TCG boot on a busy host is slow but moving, a hung one stops writing.
    return await pollWithProgress(
      async () => {
        text = await readFile(serialLog(hv, vm), 'utf8').catch(() => '');
        const m = /LAB-GUEST-READY[^\r\n]*/.exec(text.slice(fromOffset));
        return m?.[0];
      },
      () => text.length,
      `${vm} ready`,
      { idleMs: timeoutMs, maxMs: 4 * timeoutMs, intervalMs: 50 },
    );
  } catch {
    throw new LabError(`guest did not print LAB-GUEST-READY (console idle for ${timeoutMs} ms, or past ${4 * timeoutMs} ms)`, {
      device: vm,
      operation: `boot on ${hv.name}`,
      hint: `see ${serialLog(hv, vm)}`,
    });
  }
}

/** Current size of a guest's serial log (0 when absent): pass it to waitGuestReady before a start. */
export async function serialOffset(hv: HypervisorPlan, vm: string): Promise<number> {
  return (await readFile(serialLog(hv, vm), 'utf8').catch(() => '')).length;
}

/** Autogroup nice of every lab guest's QEMU for its whole life. */
export const GUEST_NICE = -10;

/**
 * The keeper: a root shell loop, 10 times a second, that finds every QEMU of the lab's hypervisors
 * through libvirt's pid files (`<lab>/<hv>/run/qemu/*.pid`, no trailing newline; checked to name a qemu
 * process) and puts
 * its session's autogroup at GUEST_NICE. Why a keeper: QEMU runs as the unprivileged libvirt-qemu user
 * in a session of its own, a new one on every incoming migration, and may not raise its own priority
 * (libvirt starts it with no_new_privs, so no file capability helps; this host's RLIMIT_NICE is 0 and
 * cannot be raised). Under TCG a starved guest and its reflector show up as loss that is not the
 * network's. It ends when the lab directory goes, and `lab down` stops it (its command line names the
 * lab directory).
 */
const KEEPER = `while [ -d "$1" ]; do
  for f in "$1"*/run/qemu/*.pid; do
    [ -f "$f" ] || continue
    p=; read -r p < "$f" 2>/dev/null; [ -n "$p" ] || continue
    read -r c < "/proc/$p/comm" 2>/dev/null || continue
    case "$c" in qemu-system-*) ;; *) continue ;; esac
    read -r g < "/proc/$p/autogroup" 2>/dev/null || continue
    case "$g" in *"nice $2") ;; *) echo "$2" > "/proc/$p/autogroup" 2>/dev/null ;; esac
  done
  sleep 0.1
done`;

/** Starts the guest-priority keeper unless it runs; returns true when it started one. */
export async function ensureGuestPriority(plan: LabPlan): Promise<boolean> {
  const pidFile = `${plan.dir}/guest-priority.pid`;
  if ((await verifiedPid(pidFile, ['sh'])) !== undefined) return false;
  // The directory with its trailing slash: lab down finds the keeper by that marker in its command line.
  const pid = spawnDetached(['sh', '-c', KEEPER, 'vmmi-guest-priority', `${plan.dir}/`, String(GUEST_NICE)], '/dev/null');
  await writeFile(pidFile, `${pid}\n`);
  return true;
}
