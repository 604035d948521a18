import { isRecord } from '../../util/json.ts';
import { parseYamlBounded } from '../../util/yaml.ts';
import { langPackage } from '../lang/common.ts';
import type { Package } from '../types.ts';
import type { ParseResult } from './package-lock.ts';

/** The package name of a descriptor (`@scope/name@^1.0.0`, `name@npm:1.2.3`): everything before the version's `@`. */
export function descriptorName(descriptor: string): string | undefined {
  const d = descriptor.trim().replace(/^"|"$/g, '');
  const at = d.indexOf('@', d.startsWith('@') ? 1 : 0);
  return at > 0 ? d.slice(0, at) : undefined;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** `yarn.lock`: Berry (YAML with `__metadata`) or the classic v1 format. */
export function parseYarnLock(text: string, path: string): ParseResult {
  return /^__metadata:/m.test(text) ? parseBerry(text, path) : parseClassic(text, path);
}

/**
 * Yarn classic (v1): blocks keyed by one or more descriptors, fields indented by two spaces,
 * `dependencies:` entries by four. Not YAML (`version "1.2.3"`), so read line by line.
 */
function parseClassic(text: string, path: string): ParseResult {
  const out: ParseResult = { packages: [], skipped: [] };
  let key: string | undefined;
  let version: string | undefined;
  let integrity: string | undefined;
  let deps: string[] = [];
  let inDeps = false;
  const flush = (): void => {
    if (key === undefined) return;
    const name = descriptorName(key.split(/,\s*/)[0] ?? '');
    const pkg = langPackage('npm', name, version, path, { dependsOn: deps, ...(integrity ? { integrity } : {}) });
    if (pkg) out.packages.push(pkg);
    else out.skipped.push(key);
    key = version = integrity = undefined;
    deps = [];
    inDeps = false;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      flush();
      if (line.endsWith(':')) key = line.slice(0, -1);
      continue;
    }
    if (key === undefined) continue;
    if (line.startsWith('    ')) {
      if (inDeps) {
        const name = unquote(line.trim().split(/\s+/)[0] ?? '');
        if (name) deps.push(name);
      }
      continue;
    }
    const t = line.trim();
    inDeps = t === 'dependencies:' || t === 'optionalDependencies:';
    const sp = t.indexOf(' ');
    if (sp < 0) continue;
    const field = t.slice(0, sp);
    if (field === 'version') version = unquote(t.slice(sp + 1));
    else if (field === 'integrity') integrity = unquote(t.slice(sp + 1));
  }
  flush();
  return out;
}

/**
 * Yarn Berry (2+): YAML. The `resolution` names what was installed (`name@npm:1.2.3`); workspace,
 * link, portal and patch resolutions are the project's own code or a copy of another entry.
 */
function parseBerry(text: string, path: string): ParseResult {
  const out: ParseResult = { packages: [], skipped: [] };
  const doc = parseYamlBounded(text, { what: path });
  if (!isRecord(doc)) return out;
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata') continue;
    if (!isRecord(entry) || typeof entry.resolution !== 'string') {
      out.skipped.push(key);
      continue;
    }
    const resolution = entry.resolution;
    const name = descriptorName(resolution);
    if (name === undefined) {
      out.skipped.push(key);
      continue;
    }
    const protocol = resolution.slice(name.length + 1);
    if (!protocol.startsWith('npm:')) continue;
    const deps = isRecord(entry.dependencies) ? Object.keys(entry.dependencies) : [];
    const pkg: Package | undefined = langPackage('npm', name, String(entry.version ?? ''), path, {
      dependsOn: deps,
      ...(typeof entry.checksum === 'string' ? { integrity: entry.checksum } : {}),
    });
    if (pkg) out.packages.push(pkg);
    else out.skipped.push(key);
  }
  return out;
}
