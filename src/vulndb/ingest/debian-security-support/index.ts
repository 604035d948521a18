import { basename } from 'node:path';
import type { Advisory, AffectedEntry } from '../../types.ts';
import type { SkipCounter } from '../common.ts';

export const SUPPORT_LICENSE = 'debian-security-support (GPL-2+)';

/** Debian release number for a list name: `security-support-ended.deb12` → `12`. */
export function supportListRelease(path: string): string | undefined {
  return /^security-support-ended\.deb(\d+)$/.exec(basename(path))?.[1];
}

export function isSupportList(path: string): boolean {
  return /^security-support-(ended(\.deb\d+)?|limited)$/.test(basename(path));
}

export interface SupportItem {
  advisory: Advisory;
  affected: AffectedEntry;
}

/**
 * `security-support-ended.debN`: `<source> <last supported version> <date> [details]`, status
 * end_of_life for Debian:N. `security-support-limited`: `<source> [details]`, status `limited`
 * stored as `will_not_fix` with the text as note; the list names no release, so the caller
 * says which one it describes (the release of the branch it came from). Package names may be
 * regular expressions (`golang.*`): they are stored as written.
 */
export function* supportItems(
  text: string,
  path: string,
  release: string,
  source: string,
  skips: SkipCounter,
): Generator<SupportItem> {
  const limited = basename(path) === 'security-support-limited';
  const ecosystem = `Debian:${release}`;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const cols = t.split(/\s+/);
    const pkg = cols[0] as string;
    if (!/^[a-z0-9][a-z0-9+.\-*?[\]()|\\^$]*$/.test(pkg)) {
      skips.skip('malformed-line', t.slice(0, 120));
      continue;
    }
    const id = `${limited ? 'DEB-SUPPORT-LIMITED' : 'DEB-SUPPORT-ENDED'}-${release}-${pkg}`;
    const advisory: Advisory = { id, source, aliases: [], related: [], severity: [], cwes: [], references: [] };
    const entry: AffectedEntry = { advisoryId: id, source, ecosystem, package: pkg, ranges: [], versions: [] };
    if (limited) {
      entry.status = 'will_not_fix';
      const details = t.slice(pkg.length).trim();
      entry.note = `limited security support${details ? `: ${details}` : ''}`.slice(0, 300);
      advisory.summary = `Security support for ${pkg} in Debian ${release} is limited`;
    } else {
      const last = cols[1];
      const date = cols[2];
      if (!last || !date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        skips.skip('malformed-line', t.slice(0, 120));
        continue;
      }
      entry.status = 'end_of_life';
      // Every installed version is out of support once the date has passed; the last supported
      // version is kept in the note for the report.
      entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }];
      const details = cols.slice(3).join(' ');
      entry.note = `security support ended ${date} (last supported ${last})${details ? `: ${details}` : ''}`.slice(
        0,
        300,
      );
      advisory.summary = `Security support for ${pkg} in Debian ${release} ended on ${date}`;
      advisory.published = date;
    }
    yield { advisory, affected: entry };
  }
}
