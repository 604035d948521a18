import { BollardError } from '../util/errors.ts';
import { SEMVER_VERSIONING } from './api.ts';
import type { AffectedRange, RangeEvent, RangeMatch, Versioning } from './types.ts';

/**
 * OSV's affected-range evaluation (https://ossf.github.io/osv-schema/#evaluation) with a
 * versioning module. Hostile records: an event whose version the comparator cannot read is
 * ignored in the conservative direction (see `normaliseEvents`).
 */

export interface AffectedEntry {
  ranges: AffectedRange[];
  versions: string[];
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface Event {
  kind: Kind;
  version: string;
  /** `introduced: "0"` (or an unreadable introduced): before every version. */
  zero: boolean;
  /** The event as written in the record. */
  raw: RangeEvent;
}

/** Why an event was not used as written. */
export interface IgnoredEvent {
  rangeIndex: number;
  event: unknown;
  reason: 'malformed' | 'invalid-version';
}

const KINDS: readonly Kind[] = ['introduced', 'fixed', 'last_affected', 'limit'];
// At the same version an introduced event sorts first, so `introduced X, fixed X` is empty.
const KIND_ORDER: Readonly<Record<Kind, number>> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

/** Most events read from one range; OSV records have a handful. */
const MAX_EVENTS = 1024;

/** The comparator for a range: the ecosystem's for ECOSYSTEM, SemVer 2.0 for SEMVER (Go's agrees). */
export function comparatorFor(v: Versioning, type: AffectedRange['type'], ecosystem?: string): Versioning | undefined {
  if (type === 'ECOSYSTEM') return v;
  if (type === 'SEMVER') return isGo(ecosystem) || v.id === 'go' ? v : SEMVER_VERSIONING;
  return undefined;
}

function isGo(ecosystem: string | undefined): boolean {
  return ecosystem !== undefined && ecosystem.split(':')[0]!.trim().toLowerCase() === 'go';
}

/** `compare` that never throws: undefined when either side is not a version of `v`. */
export function compareSafe(v: Versioning, a: string, b: string): number | undefined {
  if (typeof a !== 'string' || typeof b !== 'string' || !v.isValid(a) || !v.isValid(b)) return undefined;
  return v.compare(a, b);
}

/**
 * A necessary condition for `compare(a, b) === 0` in every module, without parsing: equal versions
 * have the same non-zero digit runs (leading zeros and all-zero runs ignored, so `1.0` = `1.0.0`,
 * `0:1` = `1`, `1.05` = `1.5`), either whole or up to the first `+` (SemVer build metadata does not
 * take part in comparison). Checked against every equal pair of the fact files.
 */
export function mayCompareEqual(a: string, b: string): boolean {
  return sameDigitRuns(a, b, false) || sameDigitRuns(a, b, true);
}

function sameDigitRuns(a: string, b: string, stopAtPlus: boolean): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    const sa = digitRunStart(a, i, stopAtPlus);
    const sb = digitRunStart(b, j, stopAtPlus);
    if (sa < 0 || sb < 0) return sa === sb;
    const ea = digitRunEnd(a, sa);
    const eb = digitRunEnd(b, sb);
    if (ea - sa !== eb - sb) return false;
    for (let k = 0; k < ea - sa; k++) if (a.charCodeAt(sa + k) !== b.charCodeAt(sb + k)) return false;
    i = ea;
    j = eb;
  }
}

/** Index of the next non-zero digit (the start of a run without its leading zeros), or -1. */
function digitRunStart(s: string, from: number, stopAtPlus: boolean): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x31 && c <= 0x39) return i;
    if (c === 0x2b && stopAtPlus) return -1;
  }
  return -1;
}

function digitRunEnd(s: string, start: number): number {
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

function readEvent(e: unknown): { kind: Kind; version: string } | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
  const keys = Object.keys(e);
  if (keys.length !== 1) return undefined;
  const kind = keys[0] as Kind;
  if (!KINDS.includes(kind)) return undefined;
  const version = (e as Record<string, unknown>)[kind];
  return typeof version === 'string' ? { kind, version } : undefined;
}

/**
 * The usable events of a range, sorted. Conservative reading of unreadable versions: an
 * unreadable `introduced` counts as `0` (the exposure starts at the beginning), an unreadable
 * `fixed`, `last_affected` or `limit` is dropped (the exposure stays open). Both err towards
 * reporting a vulnerability rather than hiding one. Malformed events (not exactly one known key
 * with a string) are dropped.
 */
function normaliseEvents(cmp: Versioning, range: AffectedRange, rangeIndex: number, ignored?: IgnoredEvent[]): Event[] {
  const out: Event[] = [];
  const events: unknown = range.events;
  if (!Array.isArray(events)) return out;
  for (const raw of events.slice(0, MAX_EVENTS)) {
    const e = readEvent(raw);
    if (!e) {
      ignored?.push({ rangeIndex, event: raw, reason: 'malformed' });
      continue;
    }
    const zero = e.kind === 'introduced' && e.version === '0';
    if (!zero && !cmp.isValid(e.version)) {
      ignored?.push({ rangeIndex, event: raw, reason: 'invalid-version' });
      if (e.kind === 'introduced') out.push({ kind: e.kind, version: e.version, zero: true, raw: raw as RangeEvent });
      continue;
    }
    out.push({ kind: e.kind, version: e.version, zero, raw: raw as RangeEvent });
  }
  out.sort((a, b) => {
    if (a.zero || b.zero) return a.zero === b.zero ? KIND_ORDER[a.kind] - KIND_ORDER[b.kind] : a.zero ? -1 : 1;
    return cmp.compare(a.version, b.version) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
  return out;
}

// Sorted events per events array and comparator: a record's ranges are evaluated against many
// packages, and sorting calls `compare` n log n times. Records are treated as immutable.
const sortedCache = new WeakMap<object, Map<string, Event[]>>();

function sortedEvents(cmp: Versioning, range: AffectedRange, rangeIndex: number): Event[] {
  const key: unknown = range.events;
  if (typeof key !== 'object' || key === null) return [];
  let byComparator = sortedCache.get(key);
  if (!byComparator) {
    byComparator = new Map();
    sortedCache.set(key, byComparator);
  }
  let events = byComparator.get(cmp.id);
  if (!events) {
    events = normaliseEvents(cmp, range, rangeIndex);
    byComparator.set(cmp.id, events);
  }
  return events;
}

/** Evaluate one range: the interval that contains `version`, or undefined. */
function evaluate(
  cmp: Versioning,
  version: string,
  events: Event[],
): { events: RangeEvent[]; fixed?: string } | undefined {
  // Limits bound the whole range: the version must be below at least one of them.
  let limited = false;
  let belowALimit = false;
  for (let i = 0; i < events.length && !belowALimit; i++) {
    const e = events[i]!;
    if (e.kind !== 'limit') continue;
    limited = true;
    belowALimit = cmp.compare(version, e.version) < 0;
  }
  if (limited && !belowALimit) return undefined;
  let affected = false;
  let start: Event | undefined;
  let position = -1;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === 'limit') continue;
    const c = e.zero ? 1 : cmp.compare(version, e.version);
    if (e.kind === 'introduced') {
      if (c >= 0) {
        affected = true;
        start = e;
        position = i;
      }
    } else if (e.kind === 'fixed') {
      if (c >= 0) affected = false;
    } else if (c > 0) {
      affected = false;
    }
  }
  if (!affected || !start) return undefined;
  // The event that closes this interval: the first fixed/last_affected after `version`.
  for (let i = position + 1; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === 'introduced' || e.kind === 'limit') continue;
    const c = cmp.compare(version, e.version);
    if (e.kind === 'fixed' && c < 0) return { events: [start.raw, e.raw], fixed: e.version };
    if (e.kind === 'last_affected' && c <= 0) return { events: [start.raw, e.raw] };
  }
  return { events: [start.raw] };
}

/**
 * Whether `version` is affected by one OSV `affected[]` entry, evaluated with `v` (the ecosystem's
 * module). `versions` are checked first (same string, or equal by `compare`), then each ECOSYSTEM
 * and SEMVER range in order; GIT ranges are skipped (they name commits, not package versions).
 * Undefined when not affected. Throws INPUT_INVALID when the installed version is not one `v`
 * (or SemVer 2.0 for a SEMVER range) can order.
 */
export function matchAffected(
  v: Versioning,
  version: string,
  entry: { ranges: AffectedRange[]; versions: string[] },
  ecosystem?: string,
): RangeMatch | undefined {
  const listed = Array.isArray(entry.versions) ? entry.versions : [];
  if (listed.includes(version))
    return {
      ...rangeFixed(v, version, entry, ecosystem),
      via: 'versions',
      affected: true,
      events: [],
      comparator: v.id,
    };
  if (!v.isValid(version)) {
    throw new BollardError('INPUT_INVALID', `${v.id}: not a valid version: ${JSON.stringify(version.slice(0, 64))}`);
  }
  for (const candidate of listed) {
    // Lists run to hundreds of versions: skip compare for candidates that cannot be equal.
    if (
      typeof candidate === 'string' &&
      mayCompareEqual(version, candidate) &&
      compareSafe(v, version, candidate) === 0
    ) {
      return {
        ...rangeFixed(v, version, entry, ecosystem),
        via: 'versions',
        affected: true,
        events: [],
        comparator: v.id,
      };
    }
  }
  const ranges = Array.isArray(entry.ranges) ? entry.ranges : [];
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    const cmp = comparatorFor(v, range?.type, ecosystem);
    if (!cmp) continue;
    if (!cmp.isValid(version)) {
      throw new BollardError(
        'INPUT_INVALID',
        `${cmp.id}: not a valid version: ${JSON.stringify(version.slice(0, 64))}`,
      );
    }
    const hit = evaluate(cmp, version, sortedEvents(cmp, range, i));
    if (hit) {
      const out: RangeMatch = {
        affected: true,
        via: 'range',
        rangeIndex: i,
        rangeType: range.type,
        events: hit.events,
        comparator: cmp.id,
      };
      if (hit.fixed !== undefined) out.fixed = hit.fixed;
      return out;
    }
  }
  return undefined;
}

/**
 * The listed versions no range of the entry covers (what the `versions` list adds to the ranges).
 * OSV generates most lists from the ranges, so this is usually empty; storing only these keeps a
 * database small and spares every scan from parsing and comparing hundreds of versions per record.
 * Versions the module cannot read are kept (only `versions` can match them).
 */
export function versionsOutsideRanges(
  v: Versioning | undefined,
  entry: { ranges: AffectedRange[]; versions: string[] },
  ecosystem?: string,
): string[] {
  const listed = Array.isArray(entry.versions) ? entry.versions : [];
  if (!v || listed.length === 0) return listed;
  const rangesOnly = { ranges: entry.ranges, versions: [] };
  return listed.filter((x) => {
    if (typeof x !== 'string' || !v.isValid(x)) return true;
    try {
      return matchAffected(v, x, rangesOnly, ecosystem) === undefined;
    } catch {
      return true;
    }
  });
}

/** For a `versions` match: the fix of a range interval that also contains the version, if any. */
function rangeFixed(
  v: Versioning,
  version: string,
  entry: { ranges: AffectedRange[] },
  ecosystem: string | undefined,
): { fixed?: string } {
  const ranges = Array.isArray(entry.ranges) ? entry.ranges : [];
  for (let i = 0; i < ranges.length; i++) {
    const cmp = comparatorFor(v, ranges[i]!.type, ecosystem);
    if (cmp?.isValid(version) !== true) continue;
    const hit = evaluate(cmp, version, sortedEvents(cmp, ranges[i]!, i));
    if (hit?.fixed !== undefined) return { fixed: hit.fixed };
  }
  return {};
}

/** The events `matchAffected` could not use as written, for a detector's warnings. */
export function ignoredEvents(v: Versioning, entry: { ranges: AffectedRange[] }, ecosystem?: string): IgnoredEvent[] {
  const out: IgnoredEvent[] = [];
  const ranges = Array.isArray(entry.ranges) ? entry.ranges : [];
  for (let i = 0; i < ranges.length; i++) {
    const cmp = comparatorFor(v, ranges[i]!.type, ecosystem);
    if (cmp) normaliseEvents(cmp, ranges[i]!, i, out);
  }
  return out;
}
