import type { LicenseNode } from '../sbom/license.ts';
import type { LicenseCategory } from './types.ts';

/*
 * Licence categories by SPDX id. Each list is a set of patterns on the id; the first list that
 * matches wins, checked from the most restrictive down, so `CC-BY-NC-SA-4.0` is proprietary
 * (non-commercial) before it is copyleft, and `LGPL-2.1-only` is weak before `GPL` could match.
 */
const RULES: readonly { category: LicenseCategory; re: RegExp }[] = [
  {
    category: 'proprietary',
    re: /^(?:LicenseRef-Proprietary|BUSL-|Elastic-|CC-BY-NC|CC-BY-ND|PolyForm-|Commons-Clause|Confluent-Community|JSON$)/,
  },
  { category: 'network-copyleft', re: /^(?:AGPL-|OSL-3\.0|EUPL-|RPL-|CPAL-|SSPL-)/ },
  {
    category: 'weak-copyleft',
    re: /^(?:LGPL-|LGPLLR|MPL-|EPL-|CDDL-|CPL-|MS-RL|APSL-|ErlPL-|IPL-|SPL-|NPL-|Ruby$|CECILL-C|OSL-[12]\.|LPL-)/,
  },
  {
    category: 'strong-copyleft',
    re: /^(?:GPL-|CC-BY-SA-|Sleepycat|CECILL-(?:1|2)|QPL-|OSL-|GFDL-|ODbL-|copyleft-next|EUPL)/,
  },
  {
    category: 'permissive',
    re: /^(?:MIT|X11|BSD|0BSD|Apache-|ISC$|Zlib|zlib-|Unlicense|CC0-|WTFPL|PSF-|Python-|BSL-1\.0|curl$|OpenSSL|SSLeay|Artistic-|PostgreSQL|NCSA|Unicode-|UPL-|BlueOak-|FSFAP|FSFUL|libpng|Libpng|IJG|HPND|ICU$|bzip2-|Beerware|AFL-|NTP|W3C|Vim$|TCL$|MS-PL|Info-ZIP|OLDAP-|OFL-|FTL$|Spencer-|Xnet|xinetd|Sendmail|SGI-B|MirOS|Fair$|ECL-|EFL-|ZPL-|Naumen|CC-BY-\d|CC-PDDC|PDDL-|blessing|ImageMagick|Unicode|Boost|BSD-Source|TCP-wrappers|Intel$|Kazlib|GD$|PHP-|Zend-|X11-|ISC-|MIT-|dtoa|bzip|SMLNJ|Ruby-pty|mpich2|etalab-|Jam$|AML$|Adobe-|libtiff|Linux-man-pages|Latex2e|FSFULLR|Bitstream-|Caldera|Minpack|Martin-Birgmeier|snprintf|Spencer|SunPro|Xfig|Zeeff|HP-|Cronyx|X11-distribute)/,
  },
];

/** The category of one SPDX id (an `or-later` `+` is ignored). */
export function categoryOfId(id: string): LicenseCategory {
  const base = id.endsWith('+') ? id.slice(0, -1) : id;
  for (const r of RULES) if (r.re.test(base)) return r.category;
  return 'unknown';
}

const RANK: Record<LicenseCategory, number> = {
  permissive: 0,
  'weak-copyleft': 1,
  'strong-copyleft': 2,
  'network-copyleft': 3,
  proprietary: 4,
  unknown: 5,
};

export function mostRestrictive(cs: readonly LicenseCategory[]): LicenseCategory {
  return cs.reduce<LicenseCategory>((a, b) => (RANK[b] > RANK[a] ? b : a), 'permissive');
}

/**
 * The category of an expression: AND takes the most restrictive licence (all apply), OR the least
 * restrictive known one (the licensee chooses). A GPL with a linking exception is weak copyleft.
 */
export function categoryOf(node: LicenseNode): LicenseCategory {
  switch (node.kind) {
    case 'license':
      return categoryOfId(node.id);
    case 'ref':
      return categoryOfId(node.ref);
    case 'with': {
      const c = categoryOf(node.license);
      return c === 'strong-copyleft' ? 'weak-copyleft' : c;
    }
    case 'and':
      return mostRestrictive(node.args.map(categoryOf));
    case 'or': {
      const cs = node.args.map(categoryOf);
      const known = cs.filter((c) => c !== 'unknown');
      if (known.length === 0) return 'unknown';
      return known.reduce((a, b) => (RANK[b] < RANK[a] ? b : a));
    }
  }
}
