/**
 * A certification profile (pure data): what a testbed must offer, the scenarios it runs with their
 * repetitions, the probe method and rate, the thresholds on statistics of the repetitions (each with
 * its justification), the report fields a certificate needs, and its CI-sized variant. Profiles live
 * in `profiles/<name>/<version>.yaml` and never change once published (profiles/PUBLISHED.json pins
 * each file's sha256): a change is a new version.
 */
import type { MigrationStrategy } from '../model/testbed.js';

/** Where a probing traffic host stands relative to the move: at the VM's site before it, or after. */
export const PLACEMENTS = ['source-site', 'destination-site'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** What a scenario expects of the move: done, or refused because the address is held at the destination. */
export const EXPECTATIONS = ['migrated', 'refused-address-conflict'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

/** Probe methods a profile may demand; ICMP (coarse, ≥ 100 ms) cannot certify anything. */
export const PROBE_METHODS = ['udp-echo'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

export const SCALES = ['full', 'ci'] as const;
export type Scale = (typeof SCALES)[number];

export interface ProfileRequirements {
  readonly strategies: readonly MigrationStrategy[];
  readonly addressFamilies: readonly (4 | 6)[];
  /** The testbed must let vmmi set a WAN delay between the sites (the emulated lab's relay). */
  readonly wanImpairment: boolean;
  readonly trafficHosts: readonly Placement[];
}

export interface ProfileScenario {
  readonly id: string;
  readonly description: string;
  readonly strategy: MigrationStrategy;
  /** Always across sites: the VM leaves its subnet and keeps its address. */
  readonly families: readonly (4 | 6)[];
  readonly traffic: Placement;
  /** One-way WAN delay set for the scenario's moves, ms (0: none). */
  readonly wanDelayMs: number;
  readonly repetitions: number;
  readonly expect: Expectation;
}

export interface ProfileProbe {
  readonly method: ProbeMethod;
  /** Offered rate per flow, packets/s; sets the loss-derived resolution (1/R). */
  readonly ratePps: number;
  /** Pre-trigger baseline, ms. */
  readonly baselineMs: number;
}

export interface ProfileThreshold {
  readonly id: string;
  /** `p95(outage) <= 1000 ms` (verdict/threshold.ts syntax; statistics only). */
  readonly expr: string;
  /** Profile scenario ids it bounds. */
  readonly scenarios: readonly string[];
  readonly why: string;
}

export interface ProfileCi {
  /** Repetitions per scenario id in the CI variant (at most the full profile's). */
  readonly repetitions: Readonly<Record<string, number>>;
  readonly baselineMs: number;
}

export interface Profile {
  readonly name: string;
  readonly version: number;
  readonly title: string;
  /** The documents the requirements come from. */
  readonly sources: readonly string[];
  readonly requires: ProfileRequirements;
  readonly probe: ProfileProbe;
  readonly scenarios: readonly ProfileScenario[];
  readonly thresholds: readonly ProfileThreshold[];
  /** Metrics every measured attempt must carry for the certificate (runs.csv names). */
  readonly reportFields: readonly string[];
  readonly ci: ProfileCi;
}

/** `nvo3-vmmi@1`. */
export const profileRef = (p: Pick<Profile, 'name' | 'version'>): string => `${p.name}@${p.version}`;

/** The profile as run at `scale`: the CI variant takes its repetitions and baseline from `ci`. */
export function atScale(p: Profile, scale: Scale): Profile {
  if (scale === 'full') return p;
  return {
    ...p,
    probe: { ...p.probe, baselineMs: p.ci.baselineMs },
    scenarios: p.scenarios.map((s) => ({ ...s, repetitions: p.ci.repetitions[s.id] ?? s.repetitions })),
  };
}
