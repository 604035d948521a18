import type { Package } from '../types.ts';
import { type Deb822Stanza, firstLine, parseDeb822 } from './deb822.ts';

/**
 * dpkg's `Status:` is `want flag state`. We keep a package when its files are on disk:
 * `installed`, `unpacked`, `half-configured`, `triggers-awaited` and `triggers-pending`.
 * `not-installed` (purged), `config-files` (removed, only conffiles left) and `half-installed`
 * (an unpack or removal that failed midway: which files exist is unknown) are left out.
 * The want (`install`, `hold`, `deinstall`, `purge`, `unknown`) and the error flag (`ok`,
 * `reinstreq`) do not matter: a package selected for removal is still on disk until it is removed.
 * `dpkg-query -W` differs: it lists every state but `not-installed`.
 */
export type DpkgState =
  | 'not-installed'
  | 'config-files'
  | 'half-installed'
  | 'unpacked'
  | 'half-configured'
  | 'triggers-awaited'
  | 'triggers-pending'
  | 'installed';

const STATES: ReadonlySet<string> = new Set<DpkgState>([
  'not-installed',
  'config-files',
  'half-installed',
  'unpacked',
  'half-configured',
  'triggers-awaited',
  'triggers-pending',
  'installed',
]);

const ON_DISK: ReadonlySet<string> = new Set<DpkgState>([
  'unpacked',
  'half-configured',
  'triggers-awaited',
  'triggers-pending',
  'installed',
]);

const WANTS: ReadonlySet<string> = new Set(['unknown', 'install', 'hold', 'deinstall', 'purge']);
const FLAGS: ReadonlySet<string> = new Set(['ok', 'reinstreq', 'hold', 'hold-reinstreq']);

/** Package names as dpkg accepts them (alphanumeric first, then alphanumerics and `+-.`; policy adds lower case). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9+.-]{0,254}$/;
/** `[epoch:]upstream[-revision]`: the characters dpkg allows, bounded. */
const VERSION = /^(?:(\d{1,9}):)?([A-Za-z0-9.+~:-]{1,255})$/;
const ARCH = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Longest free-text value (Maintainer) carried into the inventory. */
const MAX_TEXT = 1024;

export interface StatusProblem {
  code: 'DPKG_STANZA_INVALID' | 'DPKG_STATUS_UNKNOWN';
  message: string;
  sample: string;
}

export interface ParsedStatus {
  packages: Package[];
  /** Stanzas that describe a package whose files are not on disk (config-files, purged...). */
  notInstalled: number;
  problems: StatusProblem[];
}

/**
 * Read a dpkg status database (or one distroless `status.d/` file) and return the packages whose
 * files are on disk. `path` is recorded as each package's location.
 */
export function parseDpkgStatus(text: string, path: string): ParsedStatus {
  const out: ParsedStatus = { packages: [], notInstalled: 0, problems: [] };
  for (const stanza of parseDeb822(text)) {
    const r = stanzaToPackage(stanza, path);
    if (r.kind === 'package') out.packages.push(r.pkg);
    else if (r.kind === 'not-installed') out.notInstalled++;
    else out.problems.push(r.problem);
  }
  return out;
}

type StanzaResult =
  | { kind: 'package'; pkg: Package }
  | { kind: 'not-installed' }
  | { kind: 'problem'; problem: StatusProblem };

function invalid(stanza: Deb822Stanza, path: string, why: string): StanzaResult {
  return {
    kind: 'problem',
    problem: { code: 'DPKG_STANZA_INVALID', message: `dpkg stanza skipped: ${why}`, sample: `${path}:${stanza.line}` },
  };
}

function stanzaToPackage(stanza: Deb822Stanza, path: string): StanzaResult {
  const f = stanza.fields;
  const name = firstLine(f.get('package'));
  if (!name) return invalid(stanza, path, 'no Package field');
  if (!NAME.test(name)) return invalid(stanza, path, 'invalid Package name');
  // dpkg refuses a database with such lines; we drop only the record that has them.
  if (stanza.malformed > 0) return invalid(stanza, path, 'unreadable or duplicate lines');

  // No Status field: distroless `status.d/` files are `dpkg-deb --field` output, installed by definition.
  const status = firstLine(f.get('status'));
  if (status !== undefined) {
    const words = status.split(/[ \t]+/);
    const [want, flag, state] = words;
    if (words.length !== 3 || !WANTS.has(want!) || !FLAGS.has(flag!) || !STATES.has(state!)) {
      return {
        kind: 'problem',
        problem: {
          code: 'DPKG_STATUS_UNKNOWN',
          message: 'dpkg stanza skipped: unreadable Status field',
          sample: `${path}:${stanza.line}`,
        },
      };
    }
    if (!ON_DISK.has(state!)) return { kind: 'not-installed' };
  }

  const version = firstLine(f.get('version'));
  if (!version) return invalid(stanza, path, 'no Version field');
  const vm = VERSION.exec(version);
  if (!vm) return invalid(stanza, path, 'invalid Version');
  const arch = firstLine(f.get('architecture'));
  if (arch !== undefined && !ARCH.test(arch)) return invalid(stanza, path, 'invalid Architecture');

  const source = parseSource(firstLine(f.get('source')), name, version);
  if (!source) return invalid(stanza, path, 'invalid Source field');

  const pkg: Package = { type: 'deb', name, version, licenses: [], source, location: { path } };
  if (vm[1] !== undefined) pkg.epoch = Number(vm[1]);
  if (arch) pkg.arch = arch;
  const maintainer = firstLine(f.get('maintainer'));
  if (maintainer && maintainer.length > MAX_TEXT) return invalid(stanza, path, 'Maintainer too long');
  if (maintainer) pkg.maintainer = maintainer;
  const deps = dependencyNames(f.get('pre-depends'), f.get('depends'));
  if (deps.length > 0) pkg.dependsOn = deps;
  return { kind: 'package', pkg };
}

/**
 * `Source: name` or `Source: name (version)`; without the field the source is the binary package
 * itself, and without a version the source version is the binary's (as `${source:Version}` prints).
 */
export function parseSource(
  value: string | undefined,
  name: string,
  version: string,
): { name: string; version: string } | undefined {
  if (value === undefined || value === '') return { name, version };
  const m = /^([A-Za-z0-9][A-Za-z0-9+.-]{0,254})(?:\s+\(([^()\s]{1,255})\))?$/.exec(value);
  if (!m) return undefined;
  const srcVersion = m[2];
  if (srcVersion !== undefined && !VERSION.test(srcVersion)) return undefined;
  return { name: m[1]!, version: srcVersion ?? version };
}

/**
 * Package names of `Pre-Depends` and `Depends`, as recorded: every alternative of `a | b`, without
 * version constraints, architecture qualifiers (`:any`), architecture lists or build profiles.
 * Virtual packages are kept by name; resolving them is the dependency graph's job.
 */
export function dependencyNames(...fields: (string | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const field of fields) {
    if (!field) continue;
    for (const group of field.split(',')) {
      for (const alt of group.split('|')) {
        const m = /^\s*([A-Za-z0-9][A-Za-z0-9+.-]{0,254})/.exec(alt);
        if (m) seen.add(m[1]!);
      }
    }
  }
  return [...seen];
}
