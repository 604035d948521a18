import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { BollardError } from '../../util/errors.ts';

/** Bounds for one archive read from an image, nested archives included. */
export interface ArchiveBounds {
  /** Deepest nesting followed (a jar inside a war inside an ear is depth 2). */
  maxDepth: number;
  /** Most entries in one archive. */
  maxEntries: number;
  /** Inflated bytes read over the whole top-level archive, nested archives included. */
  maxTotalBytes: number;
  /** Largest inflated/compressed ratio of an entry once it has produced more than `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

/** A Maven identity found in an archive. */
export interface JavaArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** Where it was read (`pom.properties`, `MANIFEST.MF`), and the nested archive path inside the file. */
  source: 'pom.properties' | 'manifest';
  archive: string;
}

export interface ArchiveScan {
  artifacts: JavaArtifact[];
  /** Archives (outer or nested) that named no Maven identity. */
  unidentified: string[];
}

const ARCHIVE_EXT = ['.jar', '.war', '.ear', '.par', '.sar', '.jpi', '.hpi', '.rar'];
const MAX_META_BYTES = 1024 * 1024;

export function isJavaArchive(path: string): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || path.length - dot !== 4) return false;
  return ARCHIVE_EXT.includes(path.slice(dot).toLowerCase());
}

/** `key=value` lines of a Java properties file (comments `#`/`!`, `:` separator accepted). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m?.[1]) out.set(m[1], (m[2] ?? '').trim());
  }
  return out;
}

/** The main section of a MANIFEST.MF (72-byte lines continued by a leading space). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '') break; // per-entry sections follow the first blank line
    if (raw.startsWith(' ') && last !== undefined) {
      out.set(last, (out.get(last) ?? '') + raw.slice(1));
      continue;
    }
    const colon = raw.indexOf(': ');
    if (colon <= 0) continue;
    last = raw.slice(0, colon);
    out.set(last, raw.slice(colon + 2).trim());
  }
  return out;
}

/** `commons-lang3-3.12.0.jar` → artifact and version, when the file name carries both. */
export function nameFromFile(file: string): { artifactId: string; version: string } | undefined {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.[A-Za-z]{3}$/, '');
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  return m?.[1] && m[2] ? { artifactId: m[1], version: m[2] } : undefined;
}

function manifestArtifact(m: Map<string, string>, archive: string): JavaArtifact | undefined {
  const version = m.get('Implementation-Version') ?? m.get('Bundle-Version') ?? m.get('Specification-Version');
  const fromFile = nameFromFile(archive);
  const artifactId = fromFile?.artifactId ?? m.get('Implementation-Title');
  // Maven matching needs the group: only a manifest that names it identifies the artifact.
  const groupId = m.get('Implementation-Vendor-Id') ?? m.get('Automatic-Module-Name')?.replace(/\.[^.]+$/, '');
  if (!groupId || !artifactId || !version) return undefined;
  return { groupId, artifactId, version: fromFile?.version ?? version, source: 'manifest', archive };
}

interface ScanState {
  bounds: ArchiveBounds;
  total: number;
  out: ArchiveScan;
}

/**
 * Read the Maven identities of a Java archive held in memory, nested archives included, without
 * writing anything to disk. Only `META-INF/MANIFEST.MF`, `META-INF/maven/**\/pom.properties` and nested
 * archives are inflated. An archive that breaks a bound (nesting, entries, total inflated bytes, ratio)
 * is refused whole with LIMIT_EXCEEDED: a jar bomb yields nothing rather than a partial answer.
 */
export async function scanArchive(data: Buffer, name: string, bounds: ArchiveBounds): Promise<ArchiveScan> {
  const state: ScanState = { bounds, total: 0, out: { artifacts: [], unidentified: [] } };
  await scanOne(data, name, 0, state);
  return state.out;
}

async function scanOne(data: Buffer, name: string, depth: number, st: ScanState): Promise<void> {
  if (depth > st.bounds.maxDepth) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `archives nested deeper than ${st.bounds.maxDepth} levels (${name.slice(0, 200)})`,
    );
  }
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (e) {
    throw new BollardError('ARCHIVE_INVALID', `${name.slice(0, 200)} is not a readable zip: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (zip.entryCount > st.bounds.maxEntries) {
    zip.close();
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${name.slice(0, 200)} holds ${zip.entryCount} entries, over the limit of ${st.bounds.maxEntries}`,
    );
  }
  const poms: JavaArtifact[] = [];
  let manifest: Map<string, string> | undefined;
  const nested: { name: string; data: Buffer }[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const raw: unknown = entry.fileName;
      const entryName = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
      if (entryName.endsWith('/')) continue;
      const isManifest = entryName === 'META-INF/MANIFEST.MF';
      const isPom = entryName.startsWith('META-INF/maven/') && entryName.endsWith('/pom.properties');
      const isNested = isJavaArchive(entryName);
      if (!isManifest && !isPom && !isNested) continue;
      const max = isNested ? st.bounds.maxTotalBytes : MAX_META_BYTES;
      const content = await inflate(zip, entry, `${name}!/${entryName}`, max, st);
      if (isManifest) manifest = parseManifest(content.toString('utf8'));
      else if (isPom) {
        const p = parseProperties(content.toString('utf8'));
        const groupId = p.get('groupId');
        const artifactId = p.get('artifactId');
        const version = p.get('version');
        if (groupId && artifactId && version)
          poms.push({ groupId, artifactId, version, source: 'pom.properties', archive: name });
      } else nested.push({ name: `${name}!/${entryName}`, data: content });
    }
  } finally {
    zip.close();
  }
  if (poms.length > 0) st.out.artifacts.push(...poms);
  else {
    const fromManifest = manifest ? manifestArtifact(manifest, name) : undefined;
    if (fromManifest) st.out.artifacts.push(fromManifest);
    else st.out.unidentified.push(name);
  }
  for (const n of nested) await scanOne(n.data, n.name, depth + 1, st);
}

async function inflate(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  what: string,
  max: number,
  st: ScanState,
): Promise<Buffer> {
  if (entry.uncompressedSize > max || st.total + entry.uncompressedSize > st.bounds.maxTotalBytes) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${what.slice(0, 200)} declares ${entry.uncompressedSize} bytes, over the limit`,
    );
  }
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw new BollardError('ARCHIVE_INVALID', `${what.slice(0, 200)} cannot be read: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      n += b.length;
      st.total += b.length;
      // Checked on the bytes actually inflated: sizes in the headers can lie.
      if (n > max || st.total > st.bounds.maxTotalBytes) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${what.slice(0, 200)} inflates past the limit of ${st.bounds.maxTotalBytes} bytes (zip bomb?)`,
        );
      }
      if (n > st.bounds.ratioFloorBytes && n / Math.max(1, entry.compressedSize) > st.bounds.maxRatio) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${what.slice(0, 200)} inflates more than ${st.bounds.maxRatio} times (zip bomb?)`,
        );
      }
      chunks.push(b);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof BollardError) throw e;
    throw new BollardError('ARCHIVE_INVALID', `${what.slice(0, 200)} cannot be read: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return Buffer.concat(chunks);
}
