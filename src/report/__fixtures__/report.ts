import type { CvssScore, FindingStatus, Severity, VulnFinding } from '../../detect/types.ts';
import type { InventoryResult } from '../../scan/types.ts';
import { debianImageInventory, debianOs } from '../../sbom/__fixtures__/inventories.ts';
import { packagePurl } from '../../sbom/purl.ts';
import { countBySeverity, failedChecks } from '../common.ts';
import type { MisconfigFinding, Report } from '../types.ts';

/*
 * A realistic report for the golden tests: the two-layer Debian bookworm image of the SBOM fixtures,
 * with libc6 at 2.36-9+deb12u1 (before the bookworm-security fixes for CVE-2023-4911 and
 * CVE-2023-6246), scanned with a database built 14 hours earlier. Result 1 has findings across every
 * severity, with KEV and EPSS, a fix-less one (will_not_fix), one suppressed by VEX and one by the
 * ignore file; result 2 is a Dockerfile with failed, passed, skipped, errored and inline-suppressed
 * checks. Dates, versions and digests are fixed, so the goldens are stable.
 */

const CREATED_AT = '2026-11-20T22:00:00.000Z';
const STATUS = 'var/lib/dpkg/status';

/** The inventory behind the report: libc6 downgraded to the 12.1 point release version. */
export function reportInventory(): InventoryResult {
  const inv = debianImageInventory();
  const packages = inv.inventory.packages.map((p) =>
    p.name === 'libc6'
      ? { ...p, version: '2.36-9+deb12u1', source: { name: 'glibc', version: '2.36-9+deb12u1' } }
      : p,
  );
  return { ...inv, createdAt: CREATED_AT, inventory: { ...inv.inventory, packages } };
}

function cvss31(vector: string, score: number, severity: Severity): CvssScore {
  return { version: '3.1', vector: `CVSS:3.1/${vector}`, score, severity };
}

interface FindingSpec {
  id: string;
  aliases?: string[];
  pkg: string;
  source?: string;
  fixed?: string;
  status?: FindingStatus;
  severity: Severity;
  severitySource: VulnFinding['severitySource'];
  cvss?: CvssScore[];
  epss?: [score: number, percentile: number];
  kev?: [dateAdded: string, dueDate: string];
  risk: number;
  title?: string;
  cwes?: string[];
  references?: string[];
  dbSource?: string;
  suppressed?: VulnFinding['suppressed'];
}

function finding(inv: InventoryResult, s: FindingSpec): VulnFinding {
  const pkg = inv.inventory.packages.find((p) => p.name === s.pkg);
  if (!pkg) throw new Error(`fixture: no package ${s.pkg}`);
  const srcName = pkg.source?.name ?? pkg.name;
  const srcVersion = pkg.source?.version ?? pkg.version;
  const cve = [s.id, ...(s.aliases ?? [])].find((x) => x.startsWith('CVE-'));
  const f: VulnFinding = {
    id: s.id,
    aliases: s.aliases ?? [],
    package: {
      name: pkg.name,
      version: pkg.version,
      type: pkg.type,
      purl: packagePurl(pkg, debianOs),
      matchedName: srcName,
      matchedVersion: srcVersion,
      ecosystem: 'Debian:12',
      path: STATUS,
      ...(pkg.location.layer === undefined ? {} : { layer: pkg.location.layer }),
    },
    status: s.status ?? (s.fixed ? 'fixed' : 'affected'),
    severity: s.severity,
    severitySource: s.severitySource,
    cvss: s.cvss ?? [],
    risk: s.risk,
    references: s.references ?? [],
    cwes: s.cwes ?? [],
    evidence: s.fixed
      ? {
          source: s.dbSource ?? 'osv:Debian',
          via: 'range',
          rangeType: 'ECOSYSTEM',
          events: [{ introduced: '0' }, { fixed: s.fixed }],
          comparator: 'deb',
          reason: `${srcVersion} < ${s.fixed} (fixed)`,
        }
      : {
          source: s.dbSource ?? 'debian-tracker',
          via: 'status',
          events: [{ introduced: '0' }],
          comparator: 'deb',
          reason: `${srcName} ${srcVersion}: ${s.status ?? 'affected'}, no fixed version`,
        },
  };
  if (cve) f.cve = cve;
  if (s.fixed) f.fixedVersion = s.fixed;
  if (s.epss) f.epss = { score: s.epss[0], percentile: s.epss[1], date: '2026-11-19' };
  if (s.kev) f.kev = { dateAdded: s.kev[0], dueDate: s.kev[1], knownRansomware: false };
  if (s.title) f.title = s.title;
  if (s.suppressed) f.suppressed = s.suppressed;
  return f;
}

function vulnerabilities(inv: InventoryResult): VulnFinding[] {
  const high = 'AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H';
  return [
    finding(inv, {
      id: 'CVE-2023-6246',
      aliases: ['DSA-5611-1'],
      pkg: 'libc6',
      fixed: '2.36-9+deb12u4',
      severity: 'HIGH',
      severitySource: 'cvss-v3',
      cvss: [cvss31(high, 7.8, 'HIGH')],
      epss: [0.0123, 0.8521],
      risk: 61.2,
      title: 'glibc: heap-based buffer overflow in __vsyslog_internal()',
      cwes: ['CWE-122'],
      references: ['https://security-tracker.debian.org/tracker/CVE-2023-6246'],
    }),
    finding(inv, {
      id: 'CVE-2023-4911',
      aliases: ['DSA-5514-1'],
      pkg: 'libc6',
      fixed: '2.36-9+deb12u3',
      severity: 'HIGH',
      severitySource: 'cvss-v3',
      cvss: [cvss31(high, 7.8, 'HIGH')],
      epss: [0.8512, 0.9932],
      kev: ['2023-11-21', '2023-12-12'],
      risk: 92.4,
      title: 'glibc: buffer overflow in ld.so leading to privilege escalation',
      cwes: ['CWE-787', 'CWE-122'],
      references: [
        'https://security-tracker.debian.org/tracker/CVE-2023-4911',
        'https://www.qualys.com/2023/10/03/cve-2023-4911/looney-tunables-local-privilege-escalation-glibc-ld-so.txt',
      ],
    }),
    finding(inv, {
      id: 'CVE-2023-45853',
      pkg: 'zlib1g',
      status: 'will_not_fix',
      severity: 'CRITICAL',
      severitySource: 'cvss-v3',
      cvss: [cvss31('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'CRITICAL')],
      epss: [0.0043, 0.6211],
      risk: 55,
      title: 'zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6',
      cwes: ['CWE-190'],
      references: ['https://security-tracker.debian.org/tracker/CVE-2023-45853'],
    }),
    finding(inv, {
      id: 'CVE-2023-50495',
      pkg: 'libtinfo6',
      severity: 'MEDIUM',
      severitySource: 'cvss-v3',
      cvss: [cvss31('AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 6.5, 'MEDIUM')],
      epss: [0.0009, 0.3905],
      risk: 30.1,
      title: 'ncurses: segmentation fault via _nc_wrap_entry()',
      cwes: ['CWE-787'],
    }),
    finding(inv, {
      id: 'CVE-2022-27943',
      pkg: 'libgcc-s1',
      severity: 'LOW',
      severitySource: 'distro',
      cvss: [cvss31('AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 5.5, 'MEDIUM')],
      risk: 10.4,
      title: 'binutils: libiberty/rust-demangle.c stack exhaustion in demangle_const',
      cwes: ['CWE-674'],
    }),
    finding(inv, {
      id: 'CVE-2022-27943',
      pkg: 'gcc-12-base',
      severity: 'LOW',
      severitySource: 'distro',
      cvss: [cvss31('AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 5.5, 'MEDIUM')],
      risk: 10.4,
      title: 'binutils: libiberty/rust-demangle.c stack exhaustion in demangle_const',
      cwes: ['CWE-674'],
    }),
    finding(inv, {
      id: 'CVE-2017-18018',
      pkg: 'coreutils',
      severity: 'LOW',
      severitySource: 'distro',
      risk: 8,
      title: 'coreutils: race condition vulnerability in chown and chgrp',
      cwes: ['CWE-362'],
    }),
    finding(inv, {
      id: 'CVE-2022-41409',
      pkg: 'libpcre2-8-0',
      fixed: '10.42-1+deb12u1',
      severity: 'UNKNOWN',
      severitySource: 'none',
      risk: 20,
      title: 'pcre2: negative repeat value in a pcre2test subject line leads to an infinite loop',
    }),
    finding(inv, {
      id: 'CVE-2024-2961',
      aliases: ['DSA-5673-1'],
      pkg: 'libc6',
      fixed: '2.36-9+deb12u7',
      severity: 'HIGH',
      severitySource: 'cvss-v3',
      cvss: [cvss31('AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1, 'HIGH')],
      epss: [0.9055, 0.9963],
      risk: 70.5,
      title: 'glibc: out-of-bounds write in iconv ISO-2022-CN-EXT',
      cwes: ['CWE-787'],
      suppressed: {
        by: 'vex',
        file: 'vex/bookworm.openvex.json',
        vexStatus: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        reason: 'no PHP or other iconv() caller with ISO-2022-CN-EXT in this image',
      },
    }),
    finding(inv, {
      id: 'CVE-2022-4899',
      pkg: 'libzstd1',
      fixed: '1.5.4+dfsg2-5+deb12u1',
      severity: 'LOW',
      severitySource: 'distro',
      cvss: [cvss31('AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5, 'HIGH')],
      risk: 12,
      title: 'zstd: mysql: buffer overrun in util.c',
      suppressed: {
        by: 'ignorefile',
        file: '.bollardignore',
        reason: 'zstd CLI is not installed; libzstd is only linked by dpkg',
        expires: '2027-06-30',
      },
    }),
  ];
}

function check(m: Partial<MisconfigFinding> & Pick<MisconfigFinding, 'checkId' | 'severity' | 'title' | 'status'>): MisconfigFinding {
  return {
    aliases: [],
    message: m.title,
    controls: [],
    references: [],
    file: 'Dockerfile',
    resource: { kind: 'Dockerfile', name: 'Dockerfile' },
    ...m,
  };
}

function misconfigurations(): MisconfigFinding[] {
  return [
    check({
      checkId: 'BD-DF-001',
      aliases: ['DS002', 'CIS-DI-4.1'],
      severity: 'HIGH',
      title: 'Image runs as root',
      message: 'The last USER instruction sets root (USER 0); the container process runs as root.',
      remediation: 'Add a non-root USER before the final CMD or ENTRYPOINT.',
      status: 'failed',
      startLine: 14,
      endLine: 14,
      controls: ['CIS-Docker-4.1'],
      references: ['https://docs.docker.com/reference/dockerfile/#user'],
    }),
    check({
      checkId: 'BD-DF-012',
      aliases: ['DL3020'],
      severity: 'MEDIUM',
      title: 'ADD used to fetch a remote file',
      message: 'ADD https://example.org/tool.tar.gz downloads without checksum verification.',
      remediation: 'Use COPY for local files; fetch remote files with curl and verify a checksum.',
      status: 'failed',
      startLine: 6,
      endLine: 6,
      references: ['https://docs.docker.com/reference/dockerfile/#add'],
    }),
    check({
      checkId: 'BD-DF-007',
      aliases: ['DL3015'],
      severity: 'LOW',
      title: 'apt-get install without --no-install-recommends',
      message: 'apt-get install on lines 8-10 pulls recommended packages.',
      remediation: 'Add --no-install-recommends.',
      status: 'failed',
      startLine: 8,
      endLine: 10,
    }),
    check({
      checkId: 'BD-DF-009',
      aliases: ['DL3003'],
      severity: 'LOW',
      title: 'cd used instead of WORKDIR',
      status: 'failed',
      startLine: 11,
      endLine: 11,
      suppressed: { by: 'inline', file: 'Dockerfile', reason: 'legacy build script needs a subshell' },
    }),
    check({ checkId: 'BD-DF-002', severity: 'MEDIUM', title: 'Base image pinned by digest', status: 'passed', startLine: 1, endLine: 1 }),
    check({ checkId: 'BD-DF-004', severity: 'LOW', title: 'HEALTHCHECK defined', status: 'passed', startLine: 13, endLine: 13 }),
    check({
      checkId: 'BD-DF-020',
      severity: 'MEDIUM',
      title: 'Exposed ports match the image configuration',
      status: 'skipped',
      reason: 'needs the built image configuration (scan the image to evaluate)',
    }),
    check({
      checkId: 'BD-POL-001',
      severity: 'HIGH',
      title: 'Organisation policy: images carry an owner label',
      status: 'error',
      reason: 'CEL evaluation failed: no such key: labels',
    }),
  ];
}

/** The golden report. */
export function goldenReport(): Report {
  const inv = reportInventory();
  const vulns = vulnerabilities(inv);
  const checks = misconfigurations();
  const summary = countBySeverity([...vulns.filter((f) => !f.suppressed), ...failedChecks(checks)]);
  return {
    schemaVersion: '1.0',
    tool: { name: 'bollard', version: '0.1.0' },
    createdAt: CREATED_AT,
    target: inv.target,
    os: debianOs,
    db: {
      path: '/root/.cache/bollard/db/bollard.db',
      schemaVersion: 1,
      builtAt: '2026-11-20T08:00:00.000Z',
      ageHours: 14,
      stale: false,
      sources: [
        {
          id: 'osv:Debian',
          origin: 'https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip',
          digest: 'sha256:5f0a6c3d8e9b1a2f4c7d6e5b4a3928171605f4e3d2c1b0a9f8e7d6c5b4a39281',
          records: 41873,
          fetchedAt: '2026-11-20T07:58:12.000Z',
          license: 'CC-BY-4.0',
        },
        {
          id: 'debian-tracker',
          origin: 'https://security-tracker.debian.org/tracker/data/json',
          digest: 'sha256:9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9',
          records: 38412,
          fetchedAt: '2026-11-20T07:59:40.000Z',
          license: 'Debian security tracker data, public domain',
        },
        {
          id: 'kev',
          origin: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
          digest: 'sha256:0c1d2e3f405162738495a6b7c8d9e0f10c1d2e3f405162738495a6b7c8d9e0f1',
          records: 1484,
          fetchedAt: '2026-11-20T07:59:51.000Z',
          license: 'CC0-1.0',
        },
        {
          id: 'epss',
          origin: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
          digest: 'sha256:77e6d5c4b3a2918070f6e5d4c3b2a19077e6d5c4b3a2918070f6e5d4c3b2a190',
          records: 301552,
          fetchedAt: '2026-11-20T07:59:58.000Z',
          license: 'FIRST EPSS, free to use with attribution',
        },
      ],
    },
    results: [
      {
        target: 'debian 12.15 (os packages)',
        class: 'os-pkgs',
        type: 'debian',
        packages: inv.inventory.packages.length,
        vulnerabilities: vulns,
      },
      { target: 'Dockerfile', class: 'config', type: 'dockerfile', misconfigurations: checks },
    ],
    unmatched: [
      { reason: 'unknown-ecosystem', ecosystem: 'conan', count: 2, samples: ['openssl/3.2.0', 'zlib/1.3.1'] },
      { reason: 'unparsable-version', ecosystem: 'npm', count: 1, samples: ['left-pad@github:user/left-pad'] },
    ],
    expiredIgnores: [{ id: 'CVE-2023-50495', purl: 'pkg:deb/debian/libtinfo6', expires: '2026-10-01', file: '.bollardignore' }],
    coverage: [
      { id: 'dpkg', version: 1, files: 1, items: 16, status: 'ok' },
      { id: 'os-release', version: 1, files: 1, items: 1, status: 'ok' },
      { id: 'apk', version: 1, files: 0, items: 0, status: 'no-files' },
      { id: 'rpm', version: 1, files: 0, items: 0, status: 'no-files' },
      { id: 'npm', version: 1, files: 2, items: 0, status: 'partial', note: '1 of 2 lockfiles could not be parsed' },
    ],
    warnings: [
      {
        code: 'NPM_LOCK_INVALID',
        message: 'package-lock.json is not valid JSON',
        count: 1,
        sample: 'srv/app/package-lock.json',
      },
    ],
    summary,
    filters: {
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'],
      ignoreUnfixed: false,
      ignoreFile: '.bollardignore',
      vex: ['vex/bookworm.openvex.json'],
    },
  };
}

/** The same target scanned without a database: results carry no findings, and nothing may read "none found". */
export function noDbReport(): Report {
  const r = goldenReport();
  const { db: _db, ...rest } = r;
  return {
    ...rest,
    results: [{ ...(r.results[0] ?? { target: '', class: 'os-pkgs', type: 'debian' }), vulnerabilities: [] }],
    unmatched: [],
    expiredIgnores: [],
    summary: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 },
  };
}

/** Strings a hostile image or record could carry, for the escaping tests. */
export const HOSTILE = {
  name: '<script>alert("pkg")</script>&amp;\u001b[31mred\u001b[0m',
  version: '1.0"\'><img src=x onerror=alert(1)>',
  title: ']]><!-- --><x:y/>\u0000\u0007\u000b tab\there \u202eevil\u202c & more <b>bold</b>',
  id: 'CVE-2099-0001<\'">',
  file: '../../etc/passwd"><svg onload=alert(1)>',
  reason: '</testcase><testcase name="pwned">',
};

/** A report whose every string field a hostile image or record could fill carries markup and control characters. */
export function hostileReport(): Report {
  const r = goldenReport();
  const base = r.results[0]?.vulnerabilities?.[0];
  if (!base) throw new Error('fixture: no finding');
  const evil: VulnFinding = {
    ...base,
    id: HOSTILE.id,
    aliases: [HOSTILE.id],
    package: { ...base.package, name: HOSTILE.name, version: HOSTILE.version, purl: undefined, path: HOSTILE.file },
    fixedVersion: HOSTILE.version,
    title: HOSTILE.title,
    references: ['javascript:alert(1)', 'https://example.org/a b', HOSTILE.file],
    cwes: ['CWE-79', 'not-a-cwe'],
    kev: { dateAdded: HOSTILE.reason, dueDate: HOSTILE.reason, knownRansomware: true },
    suppressed: undefined,
  };
  const suppressedEvil: VulnFinding = {
    ...evil,
    id: `${HOSTILE.id}-2`,
    suppressed: { by: 'vex', file: HOSTILE.file, reason: HOSTILE.reason, justification: HOSTILE.title },
  };
  const evilCheck: MisconfigFinding = {
    checkId: HOSTILE.id,
    aliases: [],
    severity: 'HIGH',
    title: HOSTILE.title,
    message: HOSTILE.reason,
    status: 'failed',
    file: HOSTILE.file,
    startLine: 3,
    resource: { kind: HOSTILE.name, name: HOSTILE.name },
    controls: [],
    references: [HOSTILE.file],
  };
  const skippedEvil: MisconfigFinding = { ...evilCheck, checkId: `${HOSTILE.id}-s`, status: 'skipped', reason: HOSTILE.reason };
  return {
    ...r,
    target: { ...r.target, name: HOSTILE.name },
    results: [
      { target: HOSTILE.name, class: 'lang-pkgs', type: 'npm', packages: 1, vulnerabilities: [evil, suppressedEvil] },
      { target: HOSTILE.file, class: 'config', type: 'dockerfile', misconfigurations: [evilCheck, skippedEvil] },
    ],
    unmatched: [{ reason: 'unknown-ecosystem', ecosystem: HOSTILE.name, count: 1, samples: [HOSTILE.title] }],
    expiredIgnores: [{ id: HOSTILE.id, purl: HOSTILE.name, expires: HOSTILE.reason, file: HOSTILE.file }],
    coverage: [{ id: HOSTILE.name, version: 1, files: 1, items: 0, status: 'error', note: HOSTILE.title }],
    warnings: [{ code: HOSTILE.id, message: HOSTILE.title, count: 1, sample: HOSTILE.file }],
  };
}
