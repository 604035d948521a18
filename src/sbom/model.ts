import type { OSInfo, Package } from '../analyzers/types.ts';
import type { LayerRef } from '../artifact/types.ts';
import type { InventoryResult } from '../scan/types.ts';
import { isBollardError } from '../util/errors.ts';
import { compareStrings, imagePurl, packagePurl } from './purl.ts';

/*
 * The writer-independent view of an inventory that both SBOM writers render: packages in a stable
 * order with unique references and purls, the dependency graph resolved by package name, and the
 * references of the root (image or directory) and the operating system.
 */

export interface SbomPackage {
  pkg: Package;
  purl: string;
  /** Unique within the document: the purl, or `purl|<database path>[|<n>]` for packages that share a purl. */
  ref: string;
  /** Refs of the packages this one depends on (resolved by name, sorted, without itself). */
  dependsOn: string[];
}

export interface SbomRoot {
  kind: 'image' | 'rootfs';
  name: string;
  /** Manifest digest, else config digest; absent for a directory. */
  version?: string;
  purl?: string;
  ref: string;
}

export interface SbomModel {
  result: InventoryResult;
  root: SbomRoot;
  os?: { info: OSInfo; ref: string };
  packages: SbomPackage[];
  /** Packages left out because no purl can name them (empty name). */
  skipped: number;
}

export function buildSbomModel(result: InventoryResult): SbomModel {
  const { target } = result;
  const os = result.inventory.os;
  let root: SbomRoot;
  if (target.image) {
    const purl = imagePurl(target.image);
    root = {
      kind: 'image',
      name: target.name,
      version: target.image.manifestDigest ?? target.image.configDigest,
      ref: purl ?? `image:${target.image.configDigest}`,
    };
    if (purl) root.purl = purl;
  } else {
    root = { kind: 'rootfs', name: target.name, ref: `rootfs:${target.path ?? target.name}` };
  }

  let skipped = 0;
  const entries: { pkg: Package; purl: string }[] = [];
  for (const pkg of result.inventory.packages) {
    let purl: string;
    try {
      purl = pkg.purl || packagePurl(pkg, os);
    } catch (e) {
      // A name that is empty (or only slashes) cannot form a purl: leave the package out and count it.
      if (!isBollardError(e, 'INTERNAL')) throw e;
      skipped++;
      continue;
    }
    entries.push({ pkg, purl });
  }
  // Readable and locale-independent: by type and name (code-unit order), then purl, then where it was found.
  entries.sort(
    (a, b) =>
      compareStrings(a.pkg.type, b.pkg.type) ||
      compareStrings(a.pkg.name, b.pkg.name) ||
      compareStrings(a.purl, b.purl) ||
      compareStrings(a.pkg.location.path, b.pkg.location.path) ||
      (a.pkg.location.layer ?? -1) - (b.pkg.location.layer ?? -1),
  );

  const packages = assignRefs(entries);
  resolveDependencies(packages);
  const model: SbomModel = { result, root, packages, skipped };
  if (os) {
    const v = os.version || os.release;
    model.os = { info: os, ref: v ? `os:${os.family}@${v}` : `os:${os.family}` };
  }
  return model;
}

function assignRefs(entries: { pkg: Package; purl: string }[]): SbomPackage[] {
  const count = new Map<string, number>();
  for (const e of entries) count.set(e.purl, (count.get(e.purl) ?? 0) + 1);
  const used = new Set<string>();
  return entries.map((e) => {
    let ref = e.purl;
    // `|` never occurs in a canonical purl (it is percent-encoded), so a suffixed ref cannot collide with a purl.
    if ((count.get(e.purl) ?? 0) > 1) ref = `${e.purl}|${e.pkg.location.path}`;
    if (used.has(ref)) {
      let n = 2;
      while (used.has(`${ref}|${n}`)) n++;
      ref = `${ref}|${n}`;
    }
    used.add(ref);
    return { pkg: e.pkg, purl: e.purl, ref, dependsOn: [] };
  });
}

/** Names a dependency entry may carry: alternatives (`a | b`), version constraints and deb arch qualifiers are dropped. */
function dependencyNames(raw: string, type: Package['type']): string[] {
  const out: string[] = [];
  for (const alt of raw.split('|')) {
    let name = alt.trim().split(/[\s(]/, 1)[0] ?? '';
    if (type === 'deb') name = name.replace(/:[a-z0-9-]+$/, '').toLowerCase();
    if (name) out.push(name);
  }
  return out;
}

function resolveDependencies(packages: SbomPackage[]): void {
  const byName = new Map<string, SbomPackage[]>();
  for (const p of packages) {
    const key = `${p.pkg.type}\0${p.pkg.type === 'deb' ? p.pkg.name.toLowerCase() : p.pkg.name}`;
    const list = byName.get(key);
    if (list) list.push(p);
    else byName.set(key, [p]);
  }
  for (const p of packages) {
    if (!p.pkg.dependsOn?.length) continue;
    const refs = new Set<string>();
    for (const raw of p.pkg.dependsOn) {
      for (const name of dependencyNames(raw, p.pkg.type)) {
        const candidates = (byName.get(`${p.pkg.type}\0${name}`) ?? []).filter((c) => c !== p);
        // Multi-arch roots can hold one package name per architecture: prefer the same or no architecture.
        const sameArch = candidates.filter(
          (c) => c.pkg.arch === p.pkg.arch || c.pkg.arch === 'all' || c.pkg.arch === 'noarch' || !c.pkg.arch,
        );
        for (const c of sameArch.length > 0 ? sameArch : candidates) refs.add(c.ref);
      }
    }
    p.dependsOn = [...refs].toSorted(compareStrings);
  }
}

/** The layer that introduced a package, when the target is an image. */
export function packageLayer(pkg: Package, result: InventoryResult): LayerRef | undefined {
  const index = pkg.location.layer;
  if (index === undefined) return undefined;
  return result.target.image?.layers.find((l) => l.index === index);
}

const ATEXT = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
/** dot-atom local part and a domain of two or more labels (what the idn-email format of CycloneDX accepts). */
const EMAIL_RE = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*@${LABEL}(?:\\.${LABEL})+$`, 'u');

/** `Name <email>` as package databases write maintainers; the email only when it is a plausible address. */
export function parseContact(s: string): { name: string; email?: string } {
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+)>\s*$/.exec(s);
  if (m?.[2] && m[2].length <= 254 && EMAIL_RE.test(m[2])) return { name: m[1] || m[2], email: m[2] };
  return { name: s.trim() };
}

/** A platform as `os/arch[/variant]`. */
export function platformString(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
