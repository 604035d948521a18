import type { OsDetector } from '../types.ts';
import { sourceKey } from '../types.ts';

/** RPM distributions through their OSV ecosystems; versions compare with the `rpm` module. */
export const rpm: OsDetector = {
  id: 'rpm',
  families: [
    'rocky',
    'almalinux',
    'rhel',
    'centos',
    'mageia',
    'photon',
    'opensuse-leap',
    'sles',
    'openeuler',
    'azurelinux',
  ],
  packageType: 'rpm',
  ecosystems(os, available) {
    const major = /^\d+/.exec(os.release || os.version)?.[0] ?? '';
    const v = os.version || os.release;
    switch (os.family) {
      case 'rocky':
        return [`Rocky Linux:${major}`];
      case 'almalinux':
        return [`AlmaLinux:${major}`];
      case 'mageia':
        return [`Mageia:${major}`];
      case 'photon':
        return [`Photon OS:${/^\d+\.\d+/.exec(v)?.[0] ?? v}`];
      case 'opensuse-leap':
        return [`openSUSE:Leap ${v}`];
      case 'sles':
        // VERSION_ID 15.5 is "15 SP5" in OSV's names.
        return [`SUSE:Linux Enterprise Server ${v.replace(/^(\d+)\.(\d+)$/, '$1 SP$2')}`];
      case 'openeuler':
        return [`openEuler:${v}`];
      case 'azurelinux':
        return [`Azure Linux:${/^\d+\.\d+/.exec(v)?.[0] ?? v}`];
      default: {
        // Red Hat's OSV ecosystems are per product stream: `Red Hat:enterprise_linux:9::appstream`.
        const prefix = `Red Hat:enterprise_linux:${major}:`;
        const found = [...available].filter((e) => e.startsWith(prefix)).sort();
        return found.length > 0 ? found : [`Red Hat:enterprise_linux:${major}`];
      }
    }
  },
  matchKey: sourceKey,
};
