import type { LayerEntry } from '../../layer/types.ts';
import { isBollardError } from '../../util/errors.ts';
import { baseName, langPackage, MAX_LOCKFILE_BYTES, packagesItem } from '../lang/common.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';
import { type ArchiveBounds, isJavaArchive, scanArchive } from './archive.ts';

export { isJavaArchive, nameFromFile, parseManifest, parseProperties, scanArchive } from './archive.ts';

export const id = 'java';

/** Nesting real archives use: a jar in a war in an ear is 2; Spring Boot fat jars are 1. */
const MAX_NESTING = 4;
const MAX_ENTRIES = 200_000;

export function archiveBounds(ctx: AnalyzerContext): ArchiveBounds {
  return {
    maxDepth: MAX_NESTING,
    maxEntries: Math.min(MAX_ENTRIES, ctx.limits.maxEntriesPerLayer),
    maxTotalBytes: ctx.limits.maxFileBytes,
    maxRatio: ctx.limits.maxCompressionRatio,
    ratioFloorBytes: 1024 * 1024,
  };
}

async function analyzeArchive(file: AnalyzerFile, ctx: AnalyzerContext): Promise<AnalysisItem[]> {
  let scan: Awaited<ReturnType<typeof scanArchive>>;
  try {
    scan = await scanArchive(file.content, file.path, archiveBounds(ctx));
  } catch (e) {
    if (isBollardError(e, 'LIMIT_EXCEEDED'))
      ctx.warn('JAVA_ARCHIVE_REFUSED', `archives over the limits were refused: ${e.message}`, file.path);
    else ctx.warn('JAVA_ARCHIVE_INVALID', 'archives that are not readable zips were skipped', file.path);
    return [];
  }
  for (const u of scan.unidentified) {
    ctx.warn(
      'JAVA_UNIDENTIFIED',
      'archives without pom.properties or a manifest naming the Maven group were not identified',
      u,
    );
  }
  const seen = new Set<string>();
  const packages: Package[] = [];
  for (const a of scan.artifacts) {
    const name = `${a.groupId}:${a.artifactId}`;
    if (seen.has(`${name}@${a.version}`)) continue;
    seen.add(`${name}@${a.version}`);
    const pkg = langPackage('maven', name, a.version, file.path);
    if (pkg) packages.push(pkg);
  }
  return packages.length > 0 ? packagesItem(id, file.path, packages) : [];
}

/** `gradle.lockfile`: `group:artifact:version=configurations` lines. */
export function parseGradleLockfile(text: string, path: string): Package[] {
  const out: Package[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('empty=')) continue;
    const [coords = '', configs = ''] = line.split('=');
    const [group, artifact, version] = coords.split(':');
    if (!group || !artifact) continue;
    const dev = configs !== '' && configs.split(',').every((c) => /^test/i.test(c));
    const pkg = langPackage('maven', `${group}:${artifact}`, version, path, { dev });
    if (pkg) out.push(pkg);
  }
  return out;
}

function tag(block: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(block);
  return m?.[1];
}

/**
 * `pom.xml`: the `<dependency>` elements whose version is literal or a property this same file
 * defines. Parents, imported BOMs and profiles are not resolved (that needs a Maven repository).
 */
export function parsePomXml(text: string, path: string): { packages: Package[]; unresolved: number } {
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  const props = new Map<string, string>();
  const propsBlock = /<properties>([\s\S]*?)<\/properties>/.exec(body)?.[1] ?? '';
  for (const m of propsBlock.matchAll(/<([\w.-]+)>\s*([^<]*?)\s*<\/\1>/g)) if (m[1]) props.set(m[1], m[2] ?? '');
  const projectVersion = tag(
    body.replace(/<parent>[\s\S]*?<\/parent>|<dependencies>[\s\S]*<\/dependencies>/g, ''),
    'version',
  );
  if (projectVersion) props.set('project.version', projectVersion);
  const resolve = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    const r = v.replace(/\$\{([^}]+)\}/g, (_, k: string) => props.get(k) ?? `\${${k}}`);
    return r.includes('${') ? undefined : r;
  };
  const out: Package[] = [];
  let unresolved = 0;
  for (const m of body.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)) {
    const d = m[1] ?? '';
    const group = resolve(tag(d, 'groupId'));
    const artifact = resolve(tag(d, 'artifactId'));
    const version = resolve(tag(d, 'version'));
    if (!group || !artifact || !version || /[[(,]/.test(version)) {
      unresolved++;
      continue;
    }
    const scope = tag(d, 'scope');
    const pkg = langPackage('maven', `${group}:${artifact}`, version, path, { direct: true, dev: scope === 'test' });
    if (pkg) out.push(pkg);
  }
  return { packages: out, unresolved };
}

export const javaAnalyzer: Analyzer = {
  id,
  version: 1,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    return isJavaArchive(path) || path.endsWith('gradle.lockfile') || path.endsWith('pom.xml');
  },
  async analyze(file, ctx) {
    const name = baseName(file.path);
    if (name === 'pom.xml' || name === 'gradle.lockfile') {
      if (file.content.length > MAX_LOCKFILE_BYTES) return [];
      const text = file.content.toString('utf8');
      if (name === 'gradle.lockfile') {
        const ps = parseGradleLockfile(text, file.path);
        return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
      }
      const r = parsePomXml(text, file.path);
      if (r.unresolved > 0) {
        ctx.warn(
          'POM_VERSION_UNRESOLVED',
          'pom.xml dependencies without a literal version (managed by a parent or BOM) were not listed',
          file.path,
        );
      }
      return r.packages.length > 0 ? packagesItem(id, file.path, r.packages) : [];
    }
    if (!isJavaArchive(file.path)) return [];
    return analyzeArchive(file, ctx);
  },
};
