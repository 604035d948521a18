/**
 * One versioning module per ecosystem (deb, rpm, apk, npm semver, PEP 440, Maven, Go, Cargo,
 * RubyGems, Composer, NuGet). Detectors never compare version strings themselves: they pick the
 * module for a record's ecosystem and let `range.ts` apply OSV's range semantics with it.
 */
export interface Versioning {
  /** Stable id (`deb`, `rpm`, `apk`, `semver`, `pep440`, `maven`, `go`, `cargo`, `gem`, `composer`, `nuget`); recorded as the comparator in evidence. */
  readonly id: string;
  /** True when `v` is a version this ecosystem can order. Never throws. */
  isValid(v: string): boolean;
  /**
   * Total order: negative, zero or positive. Both arguments must satisfy `isValid`; callers check
   * first, and an invalid argument throws BollardError('INPUT_INVALID').
   */
  compare(a: string, b: string): number;
  /**
   * The ecosystem's own constraint syntax, where it has one (npm ranges, PEP 440 specifiers, apk
   * operators, Maven ranges, gem requirements, Composer constraints, NuGet ranges). Absent when the
   * ecosystem has none. Returns false for a constraint it cannot parse.
   */
  satisfies?(version: string, constraint: string): boolean;
}

/** OSV range event: exactly one key per event (https://ossf.github.io/osv-schema/#affectedrangesevents-fields). */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface AffectedRange {
  /** `ECOSYSTEM` compares with the ecosystem's versioning; `SEMVER` with SemVer 2.0; `GIT` cannot be evaluated on packages. */
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: RangeEvent[];
}

/** Why a version is or is not in an affected entry: the part of the record that decided. */
export interface RangeMatch {
  affected: boolean;
  /** `versions` when the explicit list matched, otherwise the index of the deciding range. */
  via: 'versions' | 'range';
  rangeIndex?: number;
  rangeType?: AffectedRange['type'];
  /** The events of the interval that contains the version (`introduced` and the closing event). */
  events: RangeEvent[];
  /** The smallest `fixed` version above the installed one, when a fix exists. */
  fixed?: string;
  /** Versioning module that compared (`deb`, `semver`...). */
  comparator: string;
}
