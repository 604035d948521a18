import type { OSInfo, OSPackageType, Package } from '../../analyzers/types.ts';

/** Matches one OS family's packages against the database: which ecosystems, which names and versions. */
export interface OsDetector {
  /** Stable id (`debian`, `ubuntu`, `alpine`, `rpm`). */
  readonly id: string;
  /** `OSInfo.family` values this detector handles. */
  readonly families: readonly string[];
  readonly packageType: OSPackageType;
  /**
   * OSV ecosystems that hold this release's records, most specific first, chosen among the ones
   * the database has (`available`); may return a name absent from `available` so the report can
   * say "no data for Debian:13".
   */
  ecosystems(os: OSInfo, available: ReadonlySet<string>): string[];
  /** Name and version the records use: distros publish advisories against source packages. */
  matchKey(pkg: Package): { name: string; version: string };
}

/** deb/rpm/apk all advise against the source package, falling back to the binary name. */
export function sourceKey(pkg: Package): { name: string; version: string } {
  return { name: pkg.source?.name || pkg.name, version: pkg.source?.version || pkg.version };
}
