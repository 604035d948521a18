import { isRecord } from '../../../util/json.ts';
import type { Advisory, AdvisoryStatus, AffectedEntry } from '../../types.ts';
import type { SkipCounter } from '../common.ts';

export const TRACKER_SOURCE = 'debian-tracker';
export const TRACKER_LICENSE =
  'Debian security tracker data (public domain / DFSG-free, see salsa.debian.org/security-tracker-team)';

/** Debian release code names → the `Debian:<n>` ecosystem OSV uses. */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  wheezy: 'Debian:7',
  jessie: 'Debian:8',
  stretch: 'Debian:9',
  buster: 'Debian:10',
  bullseye: 'Debian:11',
  bookworm: 'Debian:12',
  trixie: 'Debian:13',
  forky: 'Debian:14',
  sid: 'Debian:unstable',
};

const MAX_SUMMARY = 512;

export interface TrackerItem {
  advisory: Advisory;
  affected: AffectedEntry[];
}

/**
 * The security tracker's JSON export: `{ <source package>: { <CVE or TEMP id>: { description?,
 * releases: { <codename>: { status, fixed_version?, urgency?, nodsa?, nodsa_reason? } } } } }`.
 * Yields one item per (package, issue); the same issue id for several packages yields several
 * items with the same advisory (stored once).
 */
export function* trackerItems(doc: unknown, skips: SkipCounter): Generator<TrackerItem> {
  if (!isRecord(doc)) return;
  for (const [pkg, issues] of Object.entries(doc)) {
    if (!isRecord(issues) || pkg === '') {
      skips.skip('malformed-package', pkg);
      continue;
    }
    for (const [id, issue] of Object.entries(issues)) {
      if (!isRecord(issue) || id === '') {
        skips.skip('malformed-issue', `${pkg}/${id}`);
        continue;
      }
      const advisory: Advisory = {
        id,
        source: TRACKER_SOURCE,
        aliases: [],
        related: [],
        severity: [],
        cwes: [],
        references: [`https://security-tracker.debian.org/tracker/${encodeURIComponent(id)}`],
      };
      if (typeof issue.description === 'string' && issue.description !== '') {
        advisory.summary = issue.description.slice(0, MAX_SUMMARY);
      }
      const affected: AffectedEntry[] = [];
      const releases = issue.releases;
      // The export writes `[]` for an issue with no release data.
      if (isRecord(releases)) {
        for (const [codename, rel] of Object.entries(releases)) {
          const ecosystem = DEBIAN_CODENAMES[codename];
          if (!ecosystem) {
            skips.skip('unknown-release', `${pkg}/${id}/${codename}`);
            continue;
          }
          if (!isRecord(rel) || typeof rel.status !== 'string') {
            skips.skip('malformed-release', `${pkg}/${id}/${codename}`);
            continue;
          }
          const entry = releaseEntry(id, pkg, ecosystem, rel);
          if (entry) affected.push(entry);
          else skips.skip('unknown-status', `${pkg}/${id}/${codename}`);
        }
      } else if (releases !== undefined && !Array.isArray(releases)) {
        skips.skip('malformed-issue', `${pkg}/${id}`);
        continue;
      }
      yield { advisory, affected };
    }
  }
}

function releaseEntry(
  id: string,
  pkg: string,
  ecosystem: string,
  rel: Record<string, unknown>,
): AffectedEntry | undefined {
  const status = String(rel.status);
  const fixed = typeof rel.fixed_version === 'string' ? rel.fixed_version : undefined;
  const urgency = typeof rel.urgency === 'string' ? rel.urgency.replace(/\*+$/, '').trim() : undefined;
  const nodsaReason = typeof rel.nodsa_reason === 'string' ? rel.nodsa_reason : undefined;
  const nodsa = typeof rel.nodsa === 'string' ? rel.nodsa : undefined;
  const entry: AffectedEntry = {
    advisoryId: id,
    source: TRACKER_SOURCE,
    ecosystem,
    package: pkg,
    ranges: [],
    versions: [],
  };
  if (urgency && urgency !== 'not yet assigned' && urgency !== 'end-of-life') entry.severity = urgency;
  let st: AdvisoryStatus;
  if (status === 'resolved') {
    if (fixed === '0') st = 'not_affected';
    else if (fixed) {
      st = 'fixed';
      entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }];
    } else st = 'undetermined';
  } else if (status === 'open') {
    if (urgency === 'end-of-life' || nodsaReason === 'end-of-life') st = 'end_of_life';
    else if (nodsa !== undefined || nodsaReason === 'ignored' || nodsaReason === 'postponed') st = 'will_not_fix';
    else st = 'affected';
    entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }];
  } else if (status === 'undetermined') st = 'undetermined';
  else if (status === 'end-of-life') {
    st = 'end_of_life';
    entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }];
  } else return undefined;
  entry.status = st;
  const note = [nodsaReason, nodsa].filter((x) => x !== undefined && x !== '').join(': ');
  if (note) entry.note = note.slice(0, 300);
  return entry;
}
