import {
  canonicalLicenseId,
  formatLicenseExpression,
  type LicenseNode,
  parseLicenseExpression,
} from '../sbom/license.ts';

/** What a declared licence string normalises to. */
export interface NormalizedLicense {
  declared: string;
  /** SPDX expression (canonical ids, upper-case operators); absent when the string is not one. */
  spdx?: string;
  node?: LicenseNode;
  /** Licence ids (and LicenseRef-s) the expression names, in order. */
  ids: string[];
  unknown: boolean;
}

const MAX_DECLARED = 512;

/**
 * Names that are not SPDX ids but name one licence unambiguously: free-text npm `license` fields,
 * Debian short names, PyPI trove classifiers (the part after the last `::`). Keys are compared in
 * lower case with runs of spaces, `_` and `,` collapsed to one space.
 */
const ALIASES: Record<string, string> = {
  // MIT family
  'mit license': 'MIT',
  'the mit license': 'MIT',
  'mit/x11': 'MIT',
  'mit-style': 'MIT',
  expat: 'MIT',
  'expat license': 'MIT',
  // Apache
  apache: 'Apache-2.0',
  'apache 2': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  apache2: 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache license version 2.0': 'Apache-2.0',
  'apache license v2.0': 'Apache-2.0',
  'apache software license': 'Apache-2.0',
  'apache software license 2.0': 'Apache-2.0',
  'apache-1.1': 'Apache-1.1',
  // BSD
  'bsd-2': 'BSD-2-Clause',
  'bsd 2-clause': 'BSD-2-Clause',
  'simplified bsd': 'BSD-2-Clause',
  'freebsd license': 'BSD-2-Clause',
  'bsd-3': 'BSD-3-Clause',
  'bsd 3-clause': 'BSD-3-Clause',
  'new bsd': 'BSD-3-Clause',
  'new bsd license': 'BSD-3-Clause',
  'modified bsd': 'BSD-3-Clause',
  'revised bsd': 'BSD-3-Clause',
  'bsd-4': 'BSD-4-Clause',
  // others
  'isc license': 'ISC',
  'isc license (iscl)': 'ISC',
  iscl: 'ISC',
  'mozilla public license 2.0 (mpl 2.0)': 'MPL-2.0',
  'mozilla public license 2.0': 'MPL-2.0',
  'mpl 2.0': 'MPL-2.0',
  'mpl-2': 'MPL-2.0',
  'mozilla public license 1.1 (mpl 1.1)': 'MPL-1.1',
  'python software foundation license': 'PSF-2.0',
  psf: 'PSF-2.0',
  psfl: 'PSF-2.0',
  'zlib/libpng license': 'Zlib',
  'zlib/libpng': 'Zlib',
  'the unlicense (unlicense)': 'Unlicense',
  'the unlicense': 'Unlicense',
  'boost software license 1.0 (bsl-1.0)': 'BSL-1.0',
  'cc0 1.0 universal (cc0 1.0) public domain dedication': 'CC0-1.0',
  cc0: 'CC0-1.0',
  'eclipse public license 1.0 (epl-1.0)': 'EPL-1.0',
  'eclipse public license 2.0 (epl-2.0)': 'EPL-2.0',
  'european union public licence 1.1 (eupl 1.1)': 'EUPL-1.1',
  'european union public licence 1.2 (eupl 1.2)': 'EUPL-1.2',
  'common development and distribution license 1.0 (cddl-1.0)': 'CDDL-1.0',
  'gnu free documentation license (fdl)': 'GFDL-1.3-or-later',
  'server side public license (sspl)': 'SSPL-1.0',
  'universal permissive license (upl)': 'UPL-1.0',
  'historical permission notice and disclaimer (hpnd)': 'HPND',
  'apple public source license': 'APSL-2.0',
  wtfpl: 'WTFPL',
  // Debian short names that differ from SPDX ids
  artistic: 'Artistic-1.0-Perl',
  'artistic-1': 'Artistic-1.0-Perl',
  'artistic-2': 'Artistic-2.0',
  'zope-2.1': 'ZPL-2.1',
  'cc-by-sa-3': 'CC-BY-SA-3.0',
  'cc-by-3': 'CC-BY-3.0',
  'cc-by-4': 'CC-BY-4.0',
  'cc-by-sa-4': 'CC-BY-SA-4.0',
  'mpl-1.1': 'MPL-1.1',
  // PyPI classifiers of the GNU licences
  'gnu general public license v2 (gplv2)': 'GPL-2.0-only',
  'gnu general public license v2 or later (gplv2+)': 'GPL-2.0-or-later',
  'gnu general public license v3 (gplv3)': 'GPL-3.0-only',
  'gnu general public license v3 or later (gplv3+)': 'GPL-3.0-or-later',
  'gnu lesser general public license v2 (lgplv2)': 'LGPL-2.0-only',
  'gnu lesser general public license v2 or later (lgplv2+)': 'LGPL-2.0-or-later',
  'gnu lesser general public license v3 (lgplv3)': 'LGPL-3.0-only',
  'gnu lesser general public license v3 or later (lgplv3+)': 'LGPL-3.0-or-later',
  'gnu library or lesser general public license (lgpl)': 'LGPL-2.0-or-later',
  'gnu affero general public license v3': 'AGPL-3.0-only',
  'gnu affero general public license v3 or later (agplv3+)': 'AGPL-3.0-or-later',
  // Unversioned GNU licences: SPDX reads them as any version.
  gpl: 'GPL-1.0-or-later',
  lgpl: 'LGPL-2.0-or-later',
  agpl: 'AGPL-3.0-or-later',
  // Debian's GFDL without invariant sections
  'gfdl-niv-1.3': 'GFDL-1.3-no-invariants-only',
  'gfdl-niv-1.3+': 'GFDL-1.3-no-invariants-or-later',
  'gfdl-1.3+-no-invariant': 'GFDL-1.3-no-invariants-or-later',
  'gfdl-niv-1.2': 'GFDL-1.2-no-invariants-only',
  'gfdl-niv-1.2+': 'GFDL-1.2-no-invariants-or-later',
  // npm: "not licensed for use by others"
  unlicensed: 'LicenseRef-Proprietary',
  proprietary: 'LicenseRef-Proprietary',
  'other/proprietary license': 'LicenseRef-Proprietary',
  commercial: 'LicenseRef-Proprietary',
};

/** Exception names as Debian writes them (`GPL-3+ with Bison exception`): [for GPL-2, for GPL-3]. */
const EXCEPTIONS: Record<string, [string, string]> = {
  bison: ['Bison-exception-2.2', 'Bison-exception-2.2'],
  'bison-2.2': ['Bison-exception-2.2', 'Bison-exception-2.2'],
  autoconf: ['Autoconf-exception-2.0', 'Autoconf-exception-3.0'],
  gcc: ['GCC-exception-2.0', 'GCC-exception-3.1'],
  'gcc-3.1': ['GCC-exception-3.1', 'GCC-exception-3.1'],
  classpath: ['Classpath-exception-2.0', 'Classpath-exception-2.0'],
  font: ['Font-exception-2.0', 'Font-exception-2.0'],
  libtool: ['Libtool-exception', 'Libtool-exception'],
};

/** GNU licences written every which way: GPLv2, GPL-2+, GPL 3, LGPL-2.1+, AGPL-3, GFDL-1.3, GPL-2.0+. */
const GNU = /^(a?gpl|lgpl|gfdl|agpl)[\s-]?v?(\d)(?:\.(\d))?(?:\.0)?\s*(\+|-or-later|\s+or\s+later|-only)?$/i;

function key(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\s_,]+/g, ' ')
    .trim();
}

/** One licence name (no operators) → SPDX id or LicenseRef, or undefined. */
export function normalizeLicenseName(name: string): string | undefined {
  let n = name.trim().replace(/^["']+|["']+$/g, '');
  if (n.startsWith('(') && n.endsWith(')')) n = n.slice(1, -1).trim();
  if (n === '') return undefined;
  // PyPI classifier: "License :: OSI Approved :: MIT License" → "MIT License".
  const colons = n.lastIndexOf('::');
  if (colons >= 0) n = n.slice(colons + 2).trim();
  const alias = ALIASES[key(n)];
  if (alias) return alias;
  const g = GNU.exec(n);
  if (g) {
    const fam = g[1]!.toUpperCase();
    const major = g[2]!;
    // LGPL 2 is "2.0"; GFDL and LGPL minor versions are kept (LGPL-2.1, GFDL-1.3).
    const ver = `${major}.${g[3] ?? '0'}`;
    const later = g[4] !== undefined && g[4] !== '-only';
    const id = `${fam}-${ver}-${later ? 'or-later' : 'only'}`;
    return canonicalLicenseId(id);
  }
  const direct = canonicalLicenseId(n);
  if (direct) return modernId(direct);
  if (n.endsWith('+')) {
    const base = canonicalLicenseId(n.slice(0, -1));
    if (base) return `${modernId(base)}+`;
  }
  return undefined;
}

/** Deprecated GNU ids (GPL-2.0, GPL-2.0+) become their -only/-or-later forms. */
function modernId(id: string): string {
  const m = /^(GPL|LGPL|AGPL|GFDL)-(\d\.\d)(\+)?$/.exec(id);
  if (!m) return id;
  return `${m[1]}-${m[2]}-${m[3] ? 'or-later' : 'only'}`;
}

function modernize(node: LicenseNode): LicenseNode {
  switch (node.kind) {
    case 'license': {
      const base = modernId(node.orLater ? `${node.id}+` : node.id);
      if (/^(GPL|LGPL|AGPL|GFDL)-\d\.\d-(only|or-later)$/.test(base)) {
        const id = node.orLater ? base.replace(/-only$/, '-or-later') : base;
        return { kind: 'license', id, orLater: false };
      }
      return node;
    }
    case 'ref':
      return node;
    case 'with':
      return { ...node, license: modernize(node.license) };
    case 'and':
    case 'or':
      return { kind: node.kind, args: node.args.map(modernize) };
  }
}

export function licenseIds(node: LicenseNode): string[] {
  switch (node.kind) {
    case 'license':
      return [node.orLater ? `${node.id}+` : node.id];
    case 'ref':
      return [node.ref];
    case 'with':
      return licenseIds(node.license);
    case 'and':
    case 'or':
      return [...new Set(node.args.flatMap(licenseIds))];
  }
}

/**
 * Normalise a declared licence to an SPDX expression: SPDX expressions as they are (ids put in
 * canonical case, deprecated GNU ids modernised), then free-text names and Debian/PyPI/npm forms,
 * alone or joined by `and`/`or`/`,`/`|`/`/` (Debian: `GPL-2+ or Artistic`). Anything else is kept
 * as written and flagged unknown.
 */
export function normalizeLicense(declared: string): NormalizedLicense {
  const text = declared.trim().replace(/\s+/g, ' ');
  if (text === '' || text.length > MAX_DECLARED) return { declared, ids: [], unknown: true };
  let node = parseLicenseExpression(text);
  if (!node) {
    const single = normalizeLicenseName(text);
    if (single) node = parseLicenseExpression(single);
  }
  if (!node) node = parseFreeExpression(text);
  if (!node) return { declared, ids: [], unknown: true };
  const n = modernize(node);
  return { declared, spdx: formatLicenseExpression(n), node: n, ids: licenseIds(n), unknown: false };
}

/** `GPL-2+ or Artistic`, `MIT/X11 and BSD-3-clause`, `(LGPL-2.1+ | GPL-2+), public-domain`. */
function parseFreeExpression(text: string): LicenseNode | undefined {
  if (/\bwith\b/i.test(text)) {
    const m = /^(.+?)\s+with\s+(.+?)(?:\s+exception)?$/i.exec(text);
    if (!m) return undefined;
    const lic = normalizeLicenseName(m[1]!);
    const exc = m[2]!.trim();
    const gpl3 = lic?.startsWith('GPL-3') ?? false;
    const known = EXCEPTIONS[exc.toLowerCase()];
    const candidates = [
      ...(known ? [gpl3 ? known[1] : known[0]] : []),
      exc,
      `${exc}-exception`,
      `${exc.replace(/\s+/g, '-')}-exception`,
    ];
    for (const c of candidates) {
      const node = lic ? parseLicenseExpression(`${lic} WITH ${c}`) : undefined;
      if (node) return node;
    }
    return undefined;
  }
  // Split on the operators; a comma (Debian) means "and". "/" joins alternatives only between names.
  const tokens = text
    .replace(/\s+and\/or\s+/gi, ' or ')
    .split(/(\s+and\s+|\s+or\s+|\s*\|\s*|\s*,\s*|\s*\(\s*|\s*\)\s*|\s*&\s*)/i);
  const out: string[] = [];
  for (const raw of tokens) {
    const t = raw.trim().toLowerCase();
    if (t === 'and' || t === ',' || t === '&') out.push('AND');
    else if (t === 'or' || t === '|') out.push('OR');
    else if (t === '(' || t === ')') out.push(t);
    else if (t !== '') {
      const id = normalizeLicenseName(raw) ?? slashAlternatives(raw);
      if (!id) return undefined;
      out.push(id.includes(' ') ? `(${id})` : id);
    }
  }
  return parseLicenseExpression(out.join(' '));
}

function slashAlternatives(raw: string): string | undefined {
  if (!raw.includes('/')) return undefined;
  const ids = raw.split('/').map((p) => normalizeLicenseName(p));
  if (ids.some((i) => i === undefined)) return undefined;
  return ids.join(' OR ');
}
