/**
 * `show version` of CLI platforms (data only): the command and which of its lines carry which
 * version fact. Lines are `label: value` unless a pattern says otherwise; what a device does not
 * print is left out, never filled in.
 */

export interface ShowVersionPlatform {
  readonly command: string;
  /** `label: value` lines → version key (label compared case-insensitively, trimmed). */
  readonly labels: Readonly<Record<string, string>>;
  /** Lines matched by a pattern: each named group becomes a version key (`_` read as `-`). */
  readonly patterns: readonly RegExp[];
}

/**
 * FRRouting vtysh: the first line is `FRRouting <version> (<hostname>)` and, since FRR 7.x,
 * ` on <OS>(<kernel release>).` (the kernel zebra's host reported through uname at start).
 */
export const FRR_SHOW_VERSION: ShowVersionPlatform = {
  command: 'show version',
  labels: {},
  patterns: [
    /^FRRouting (?<frr>\S+) \((?<hostname>[^)]*)\)(?: on (?<os>[^(\s]+)\((?<frr_kernel>[^)]*)\))?/m,
  ],
};

/**
 * Arista EOS (privileged exec): the model on the first line (`Arista DCS-7050SX3-48YC8`, cEOS
 * `Arista cEOSLab`), then `label: value` lines; `Kernel version` appears on newer releases only.
 */
export const EOS_SHOW_VERSION: ShowVersionPlatform = {
  command: 'show version',
  labels: {
    'software image version': 'eos',
    architecture: 'machine',
    'internal build version': 'build',
    'kernel version': 'kernel',
    'hardware version': 'hardware',
    'serial number': 'serial',
  },
  patterns: [/^Arista (?<model>\S+)\s*$/m],
};
