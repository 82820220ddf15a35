/**
 * Lines of the outage injector (lab-assets/nftinject.c) → typed messages. Pure. Times arrive as
 * CLOCK_MONOTONIC nanoseconds in decimal and are converted exactly as the controller's monoMs() does
 * (Number(ns) / 1e6), so injector and controller/probe stamps compare without offset.
 */
export type InjectorLine =
  | { readonly kind: 'ready'; readonly monoMs: number }
  | { readonly kind: 'clock'; readonly id: string; readonly monoMs: number }
  | {
    readonly kind: 'pulse'; readonly id: string;
    readonly onBeforeMs: number; readonly onAfterMs: number; readonly offBeforeMs: number; readonly offAfterMs: number;
  }
  | { readonly kind: 'error'; readonly id: string; readonly message: string }
  | { readonly kind: 'bye'; readonly reason: string; readonly cleaned: boolean };

const NS = /^\d{1,19}$/;
const nsToMs = (s: string): number => Number(BigInt(s)) / 1e6;

/** Parses one line; undefined for anything that is not a complete, well-formed message. */
export function parseInjectorLine(line: string): InjectorLine | undefined {
  const [kind, ...f] = line.trim().split(' ');
  const ns = (xs: readonly (string | undefined)[]): xs is string[] => xs.every((x) => x !== undefined && NS.test(x));
  switch (kind) {
    case 'ready':
      return f.length === 1 && ns(f) ? { kind, monoMs: nsToMs(f[0] as string) } : undefined;
    case 'clock': {
      const [id, t] = f;
      return f.length === 2 && id !== undefined && ns([t]) ? { kind, id, monoMs: nsToMs(t as string) } : undefined;
    }
    case 'pulse': {
      const [id, ...ts] = f;
      if (id === undefined || ts.length !== 4 || !ns(ts)) return undefined;
      const [a, b, c, d] = ts.map(nsToMs) as [number, number, number, number];
      return { kind, id, onBeforeMs: a, onAfterMs: b, offBeforeMs: c, offAfterMs: d };
    }
    case 'error': {
      const [id, ...msg] = f;
      return id === undefined ? undefined : { kind, id, message: msg.join(' ') };
    }
    case 'bye': {
      const [reason, cleaned] = f;
      if (reason === undefined || (cleaned !== 'cleaned=1' && cleaned !== 'cleaned=0')) return undefined;
      return { kind, reason, cleaned: cleaned === 'cleaned=1' };
    }
    default:
      return undefined;
  }
}
