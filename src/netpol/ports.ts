/**
 * Port sets: for each protocol a sorted list of disjoint inclusive ranges over 1-65535. Exact set
 * algebra, so "which ports does this pair allow" is an answer, not an approximation.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export type Range = readonly [number, number];
export type PortSet = Readonly<Record<Protocol, readonly Range[]>>;

export function isProtocol(v: unknown): v is Protocol {
  return v === 'TCP' || v === 'UDP' || v === 'SCTP';
}

export function emptyPorts(): PortSet {
  return { TCP: [], UDP: [], SCTP: [] };
}

export function allPorts(): PortSet {
  return { TCP: [[MIN_PORT, MAX_PORT]], UDP: [[MIN_PORT, MAX_PORT]], SCTP: [[MIN_PORT, MAX_PORT]] };
}

export function portsOf(protocol: Protocol, lo: number, hi: number): PortSet {
  const out = { TCP: [] as Range[], UDP: [] as Range[], SCTP: [] as Range[] };
  if (lo <= hi) out[protocol] = [[lo, hi]];
  return out;
}

function normalise(rs: Range[]): Range[] {
  const s = [...rs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of s) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function unionPorts(a: PortSet, b: PortSet): PortSet {
  return {
    TCP: normalise([...a.TCP, ...b.TCP]),
    UDP: normalise([...a.UDP, ...b.UDP]),
    SCTP: normalise([...a.SCTP, ...b.SCTP]),
  };
}

function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Range;
    const y = b[j] as Range;
    const lo = Math.max(x[0], y[0]);
    const hi = Math.min(x[1], y[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

export function intersectPorts(a: PortSet, b: PortSet): PortSet {
  return {
    TCP: intersectRanges(a.TCP, b.TCP),
    UDP: intersectRanges(a.UDP, b.UDP),
    SCTP: intersectRanges(a.SCTP, b.SCTP),
  };
}

export function subtractPorts(a: PortSet, b: PortSet): PortSet {
  const sub = (x: readonly Range[], y: readonly Range[]): Range[] => {
    const comp: Range[] = [];
    let next = MIN_PORT;
    for (const [lo, hi] of y) {
      if (lo > next) comp.push([next, lo - 1]);
      next = Math.max(next, hi + 1);
    }
    if (next <= MAX_PORT) comp.push([next, MAX_PORT]);
    return intersectRanges(x, comp);
  };
  return { TCP: sub(a.TCP, b.TCP), UDP: sub(a.UDP, b.UDP), SCTP: sub(a.SCTP, b.SCTP) };
}

export function isEmptyPorts(p: PortSet): boolean {
  return p.TCP.length === 0 && p.UDP.length === 0 && p.SCTP.length === 0;
}

export function isAllPorts(p: PortSet): boolean {
  return PROTOCOLS.every((k) => p[k].length === 1 && p[k][0]?.[0] === MIN_PORT && p[k][0]?.[1] === MAX_PORT);
}

export function equalPorts(a: PortSet, b: PortSet): boolean {
  return formatPorts(a) === formatPorts(b);
}

export function hasPort(p: PortSet, protocol: Protocol, port: number): boolean {
  return p[protocol].some(([lo, hi]) => port >= lo && port <= hi);
}

/** `all`, `none`, or `TCP 80,443,8000-8999; UDP 53` (a whole protocol reads `UDP *`). */
export function formatPorts(p: PortSet): string {
  if (isAllPorts(p)) return 'all';
  if (isEmptyPorts(p)) return 'none';
  const parts: string[] = [];
  for (const proto of PROTOCOLS) {
    const rs = p[proto];
    if (rs.length === 0) continue;
    if (rs.length === 1 && rs[0]?.[0] === MIN_PORT && rs[0]?.[1] === MAX_PORT) parts.push(`${proto} *`);
    else parts.push(`${proto} ${rs.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',')}`);
  }
  return parts.join('; ');
}
