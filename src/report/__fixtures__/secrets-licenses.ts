import type { SecretFinding } from '../../secrets/types.ts';
import { countBySeverity } from '../common.ts';
import type { Report } from '../types.ts';
import { goldenReport } from './report.ts';

/*
 * The golden report of #7: the Debian image of the other goldens scanned with `--scanners
 * secret,license --license-policy`: secrets in a layer file (one deleted later), in a Kubernetes
 * Secret and in ENV; licences of three packages (one forbidden, one not normalisable) and of two
 * source headers. The matches are already redacted, as the scanner writes them.
 */

const L0 = 'sha256:0d1b5a3e4f6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e';
const L1 = 'sha256:7f6e5d4c3b2a19080706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0';

export function secretsLicensesReport(): Report {
  const base = goldenReport();
  const secrets: SecretFinding[] = [
    {
      ruleId: 'aws-access-key-id',
      category: 'cloud',
      severity: 'CRITICAL',
      title: 'AWS access key ID',
      startLine: 2,
      endLine: 2,
      match: 'AKIA…',
      hash: 'sha256:57baa8db3f602a9d',
      source: 'file',
      file: 'root/.aws/credentials',
      layer: { index: 1, diffId: L1 },
    },
    {
      ruleId: 'private-key-openssh',
      category: 'private-key',
      severity: 'HIGH',
      title: 'OpenSSH private key',
      startLine: 1,
      endLine: 7,
      match: '-----BEGIN OPENSSH PRIVATE KEY-----…',
      hash: 'sha256:e2dd8d7fefa1c4ec',
      source: 'file',
      file: 'root/.ssh/id_ed25519',
      layer: { index: 0, diffId: L0 },
    },
    {
      ruleId: 'npm-access-token',
      category: 'registry',
      severity: 'CRITICAL',
      title: 'npm access token',
      startLine: 7,
      endLine: 7,
      match: 'npm_…',
      hash: 'sha256:1c2d3e4f5a6b7c8d',
      source: 'kubernetes-secret',
      file: 'app/k8s/secret.yaml',
      layer: { index: 1, diffId: L1 },
      resource: { kind: 'Secret', name: 'registry', key: 'npm-token' },
    },
    {
      ruleId: 'github-pat',
      category: 'vcs',
      severity: 'CRITICAL',
      title: 'GitHub personal access token (classic)',
      startLine: 2,
      endLine: 2,
      match: 'ghp_…',
      hash: 'sha256:9e8d7c6b5a4f3e2d',
      source: 'env',
      file: 'ENV',
    },
  ];
  const summary = { ...base.summary };
  for (const [s, n] of Object.entries(countBySeverity(secrets))) summary[s as keyof typeof summary] += n;
  return {
    ...base,
    summary,
    results: [
      ...base.results,
      { target: 'image config', class: 'secret', type: 'env', secrets: secrets.filter((s) => s.source === 'env') },
      { target: 'app/k8s/secret.yaml', class: 'secret', type: 'kubernetes-secret', secrets: [secrets[2]!] },
      { target: 'root/.ssh/id_ed25519', class: 'secret', type: 'file', secrets: [secrets[1]!] },
      { target: 'root/.aws/credentials', class: 'secret', type: 'file', secrets: [secrets[0]!] },
      {
        target: 'deb packages',
        class: 'license',
        type: 'deb',
        licenses: [
          {
            source: 'package',
            package: 'bash',
            version: '5.2.15-2+b7',
            packageType: 'deb',
            purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12.15',
            file: 'usr/share/doc/bash/copyright',
            layer: 0,
            declared: 'GPL-3+',
            spdx: 'GPL-3.0-or-later',
            ids: ['GPL-3.0-or-later'],
            category: 'strong-copyleft',
            policy: 'forbidden',
            severity: 'CRITICAL',
            unknown: false,
          },
          {
            source: 'package',
            package: 'libc6',
            version: '2.36-9+deb12u1',
            packageType: 'deb',
            file: 'usr/share/doc/libc6/copyright',
            layer: 0,
            declared: 'LGPL-2.1',
            spdx: 'LGPL-2.1-only',
            ids: ['LGPL-2.1-only'],
            category: 'weak-copyleft',
            policy: 'allowed',
            severity: 'LOW',
            unknown: false,
          },
          {
            source: 'package',
            package: 'dpkg',
            version: '1.21.22',
            packageType: 'deb',
            file: 'usr/share/doc/dpkg/copyright',
            layer: 0,
            declared: 'public-domain-s-s-d',
            ids: [],
            category: 'unknown',
            policy: 'restricted',
            severity: 'HIGH',
            unknown: true,
          },
        ],
      },
      {
        target: 'source file headers',
        class: 'license-file',
        type: 'spdx-header',
        licenses: [
          {
            source: 'header',
            file: 'src/main.c',
            line: 1,
            declared: 'GPL-2.0-only',
            spdx: 'GPL-2.0-only',
            ids: ['GPL-2.0-only'],
            category: 'strong-copyleft',
            policy: 'forbidden',
            severity: 'CRITICAL',
            unknown: false,
          },
          {
            source: 'header',
            file: 'src/util.py',
            line: 2,
            declared: 'MIT OR Apache-2.0',
            spdx: 'MIT OR Apache-2.0',
            ids: ['MIT', 'Apache-2.0'],
            category: 'permissive',
            policy: 'allowed',
            severity: 'LOW',
            unknown: false,
          },
        ],
      },
    ],
  };
}
