import type { FindingPackage, VulnFinding } from '../../types.ts';

/** A finding with plausible defaults; tests override what they look at. */
export function finding(
  over: Partial<Omit<VulnFinding, 'package'>> & { package?: Partial<FindingPackage> } = {},
): VulnFinding {
  const { package: pkg, ...rest } = over;
  return {
    id: 'CVE-2024-0001',
    aliases: [],
    cve: 'CVE-2024-0001',
    package: {
      name: 'libssl3',
      version: '3.0.11-1~deb12u2',
      type: 'deb',
      purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      matchedName: 'openssl',
      matchedVersion: '3.0.11-1~deb12u2',
      ecosystem: 'Debian:12',
      path: 'var/lib/dpkg/status',
      ...pkg,
    },
    fixedVersion: '3.0.14-1~deb12u1',
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'cvss-v3',
    cvss: [],
    risk: 50,
    references: [],
    cwes: [],
    evidence: { source: 'osv:Debian', via: 'range', events: [], comparator: 'deb', reason: 'test' },
    ...rest,
  };
}

/** The openssl binary package, whose purl the VEX fixtures name. */
export const OPENSSL = {
  name: 'openssl',
  purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
} as const;

export const LODASH = {
  name: 'lodash',
  version: '4.17.20',
  type: 'npm',
  purl: 'pkg:npm/lodash@4.17.20',
  matchedName: 'lodash',
  matchedVersion: '4.17.20',
  ecosystem: 'npm',
  path: 'app/node_modules/lodash/package.json',
} as const;
