import { createHash } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { Analyzer, Package } from '../../src/analyzers/types.ts';
import type { Digest } from '../../src/util/digest.ts';

/** One tar entry for a test layer. */
export type TestEntry =
  | { name: string; type?: 'file'; content: string | Buffer; mode?: number }
  | { name: string; type: 'directory'; mode?: number }
  | { name: string; type: 'symlink' | 'link'; linkname: string };

/** Build an uncompressed tar in memory (tests only: real layers are streamed). */
export async function buildTar(entries: TestEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o755 });
    else if (e.type === 'symlink' || e.type === 'link') p.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else if ('content' in e) {
      p.entry(
        { name: e.name, mode: e.mode ?? 0o644 },
        typeof e.content === 'string' ? Buffer.from(e.content) : e.content,
      );
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
}

export function compress(tar: Buffer, c: 'gzip' | 'zstd' | 'none'): Buffer {
  if (c === 'gzip') return gzipSync(tar);
  if (c === 'zstd') return zstdCompressSync(tar);
  return tar;
}

/**
 * A toy package database for applier tests: files named `*.pkgdb` hold `name version` lines.
 * Lets tests exercise squashing without depending on a real package manager's format.
 */
export const toyAnalyzer: Analyzer = {
  id: 'toy',
  version: 1,
  wants: (path) => path.endsWith('.pkgdb'),
  analyze(file) {
    const packages: Package[] = file.content
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', version = ''] = line.split(' ');
        return { type: 'deb', name, version, licenses: [], location: { path: file.path } };
      });
    return [{ kind: 'packages', analyzer: 'toy', path: file.path, packages }];
  },
};
