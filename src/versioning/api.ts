import { apk } from './apk/index.ts';
import { cargo } from './cargo/index.ts';
import { composer } from './composer/index.ts';
import { deb } from './deb/index.ts';
import { gem } from './gem/index.ts';
import { go } from './go/index.ts';
import { maven } from './maven/index.ts';
import { nuget } from './nuget/index.ts';
import { pep440 } from './pep440/index.ts';
import { rpm } from './rpm/index.ts';
import { osvSemver, semver } from './semver/index.ts';
import type { Versioning } from './types.ts';

/** Every versioning module, in a stable order (no import side effects: this list is the registry). */
export const versionings: readonly Versioning[] = [
  deb,
  rpm,
  apk,
  semver,
  pep440,
  maven,
  go,
  cargo,
  gem,
  composer,
  nuget,
];

/** SemVer 2.0 for OSV `SEMVER` ranges (a leading `v` tolerated); not an ecosystem of its own. */
export const SEMVER_VERSIONING: Versioning = osvSemver;

// OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field), lower-cased,
// without the `:release` suffix (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`).
const BY_ECOSYSTEM: ReadonlyMap<string, Versioning> = new Map<string, Versioning>([
  ['debian', deb],
  ['ubuntu', deb],
  ['alpine', apk],
  ['wolfi', apk],
  ['chainguard', apk],
  ['alpaquita', apk],
  ['bellsoft hardened containers', apk],
  ['minimos', apk],
  ['red hat', rpm],
  ['rocky linux', rpm],
  ['almalinux', rpm],
  ['opensuse', rpm],
  ['suse', rpm],
  ['mageia', rpm],
  ['photon os', rpm],
  ['openeuler', rpm],
  ['azure linux', rpm],
  ['npm', semver],
  ['pypi', pep440],
  ['go', go],
  ['maven', maven],
  ['crates.io', cargo],
  ['rubygems', gem],
  ['packagist', composer],
  ['nuget', nuget],
  // Hex (Elixir's `Version`) is SemVer 2.0 exactly. Pub is not mapped: pub_semver orders build
  // metadata, which SemVer 2.0 ignores.
  ['hex', osvSemver],
]);

/** The module for an OSV ecosystem name, or undefined when Bollard has none for it. */
export function versioningFor(ecosystem: string): Versioning | undefined {
  if (typeof ecosystem !== 'string' || ecosystem.length > 128) return undefined;
  const colon = ecosystem.indexOf(':');
  const base = (colon >= 0 ? ecosystem.slice(0, colon) : ecosystem).trim().toLowerCase();
  return BY_ECOSYSTEM.get(base);
}

/** A registered module by its id (`deb`, `semver2` for SEMVER_VERSIONING), e.g. to re-check evidence. */
export function versioningById(id: string): Versioning | undefined {
  if (id === SEMVER_VERSIONING.id) return SEMVER_VERSIONING;
  return versionings.find((v) => v.id === id);
}
