import { arch as hostArch } from 'node:os';
import { BollardError } from '../util/errors.ts';
import type { Descriptor, ImageConfig, Platform } from './types.ts';

/** Parse `os/arch[/variant]` (as `--platform` takes it). */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new BollardError('USAGE', `invalid platform "${s}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalisePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

const NODE_TO_GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** The platform of this machine, in OCI terms (`linux/amd64`). */
export function hostPlatform(): Platform {
  const architecture = NODE_TO_GO_ARCH[hostArch()] ?? hostArch();
  return normalisePlatform({ os: 'linux', architecture });
}

/** Normalise the way containerd does: aarch64 → arm64 (variant v8 implied), x86_64 → amd64, armhf → arm/v7. */
export function normalisePlatform(p: Platform): Platform {
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  switch (architecture) {
    case 'x86_64':
    case 'x86-64':
      architecture = 'amd64';
      break;
    case 'aarch64':
      architecture = 'arm64';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'i386':
      architecture = '386';
      break;
  }
  if (architecture === 'arm64' && variant === '8') variant = 'v8';
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  if (variant) out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  return out;
}

/** Does a manifest's platform satisfy the wanted one? An unspecified variant matches the default one. */
export function platformMatches(have: Platform, want: Platform): boolean {
  const h = normalisePlatform(have);
  const w = normalisePlatform(want);
  if (h.os !== w.os || h.architecture !== w.architecture) return false;
  if (!w.variant) return true;
  const hv = h.variant ?? defaultVariant(h.architecture);
  return hv === w.variant;
}

function defaultVariant(architecture: string): string | undefined {
  if (architecture === 'arm64') return 'v8';
  if (architecture === 'arm') return 'v7';
  return undefined;
}

/**
 * Pick the manifest for `want` from an index. Among matches, one without a variant loses to an exact
 * variant match; attestation manifests (`unknown/unknown`) never match.
 */
export function selectPlatform(manifests: Descriptor[], want: Platform, what: string): Descriptor {
  const candidates = manifests.filter((d) => d.platform && platformMatches(d.platform, want));
  const exact = candidates.find((d) => d.platform?.variant && d.platform.variant === want.variant);
  const chosen = exact ?? candidates[0];
  if (!chosen) {
    const available = manifests
      .map((d) => (d.platform ? formatPlatform(d.platform) : 'unspecified'))
      .filter((p) => p !== 'unknown/unknown')
      .join(', ');
    throw new BollardError(
      'PLATFORM_NOT_FOUND',
      `${what} has no image for ${formatPlatform(want)} (available: ${available || 'none'}); choose one with --platform`,
    );
  }
  return chosen;
}

/**
 * A single-platform image read with an explicit `--platform` must be for that platform: scanning an
 * arm64 image when amd64 was asked for would report the wrong binaries.
 */
export function checkRequestedPlatform(config: ImageConfig, want: Platform | undefined, name: string): void {
  if (!want) return;
  const have: Platform = {
    os: config.os || 'linux',
    architecture: config.architecture || 'unknown',
    ...(config.variant ? { variant: config.variant } : {}),
  };
  if (!platformMatches(have, want)) {
    throw new BollardError(
      'PLATFORM_NOT_FOUND',
      `${name} is an image for ${formatPlatform(have)}, not ${formatPlatform(want)}`,
    );
  }
}
