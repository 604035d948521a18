/**
 * A ~1 GiB image: peak memory of `bollard sbom` against the 300 MiB budget, and its throughput
 * against `tar -tzf` over the same layer blobs (the cost of just decompressing and walking them).
 *
 *   node bench/big-image.ts [--rebuild]
 *
 * The image is built once and kept under $BOLLARD_BENCH_DIR (default <test-env state>/bench, i.e.
 * /var/lib/bollard-test/bench): an OCI layout whose layers are the debootstrap root, then generated
 * files of mixed compressibility (pseudo-random, log-like text, repetitive JSON, many small files),
 * gzip-compressed, deterministic (seeded generators, fixed times). BENCH_RUNS timed runs of each side.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  bollardBin,
  debootstrapRoot,
  envInt,
  main,
  mib,
  ms,
  reportFigure,
  requireBollard,
  runOk,
  runWithPeakRss,
  summarise,
} from './lib.ts';

const RSS_BUDGET = 300 * 1024 * 1024;
/** Bump when the generated content changes, so a cached image is rebuilt. */
const BUILD_VERSION = 1;
const MTIME = 1748736000; // 2025-06-01T00:00:00Z
const MiB = 1024 * 1024;

interface LayerInfo {
  createdBy: string;
  digest: string;
  diffId: string;
  size: number;
  uncompressed: number;
}

// --- a minimal ustar writer (names < 100 bytes; enough for generated content) -------------------

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function ustarHeader(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  if (Buffer.byteLength(name) >= 100) throw new Error(`tar name too long: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(MTIME, 12), 136, 'ascii');
  h.fill(' ', 148, 156);
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

export interface GenFile {
  name: string;
  size: number;
  fill: (buf: Buffer, offset: number) => void;
}

/** A tar stream of directories and generated files, produced chunk by chunk (bounded memory). */
export async function* tarOf(dirs: readonly string[], files: Iterable<GenFile>): AsyncGenerator<Buffer> {
  for (const d of dirs) yield ustarHeader(d.endsWith('/') ? d : `${d}/`, 0, '5', 0o755);
  const CHUNK = MiB;
  for (const f of files) {
    yield ustarHeader(f.name, f.size, '0', 0o644);
    for (let off = 0; off < f.size; off += CHUNK) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, f.size - off));
      f.fill(buf, off);
      yield buf;
    }
    const pad = (512 - (f.size % 512)) % 512;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
}

// --- generators ----------------------------------------------------------------------------------

/** Incompressible bytes: AES-128-CTR keystream (fast and deterministic). */
export function randomFill(seed: number): (buf: Buffer, offset: number) => void {
  const key = createHash('sha256').update(`bollard-bench-${seed}`).digest().subarray(0, 16);
  let cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  let pos = 0;
  return (buf, offset) => {
    if (offset !== pos) {
      cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
      pos = 0;
    }
    cipher.update(Buffer.alloc(buf.length)).copy(buf);
    pos += buf.length;
  };
}

/** xorshift32: cheap deterministic numbers for text. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Log-like lines: compresses about 4-8x, like real text. */
export function textFill(seed: number): (buf: Buffer, offset: number) => void {
  const next = prng(seed);
  const levels = ['INFO ', 'WARN ', 'DEBUG', 'ERROR'];
  const paths = ['/v1/items', '/v1/users', '/healthz', '/v2/orders', '/metrics', '/v1/search'];
  let carry = Buffer.alloc(0);
  return (buf) => {
    let filled = 0;
    if (carry.length) {
      const n = carry.copy(buf, 0);
      carry = carry.subarray(n);
      filled = n;
    }
    while (filled < buf.length) {
      const r = next();
      const line = Buffer.from(
        `2026-11-${String((r % 28) + 1).padStart(2, '0')}T${String(r % 24).padStart(2, '0')}:${String((r >>> 5) % 60).padStart(2, '0')}:${String((r >>> 11) % 60).padStart(2, '0')}.${r % 1000}Z ${levels[r % 4]} service=api-${r % 37} request_id=${next().toString(16)} path=${paths[r % 6]}/${next() % 100000} status=${[200, 201, 404, 500][r % 4]} duration_ms=${next() % 2000} user=user${next() % 10000}\n`,
      );
      const n = line.copy(buf, filled);
      filled += n;
      if (n < line.length) carry = line.subarray(n);
    }
  };
}

/** Repetitive JSON records: compresses 20-50x, well under the 1000x ratio limit. */
export function repetitiveFill(): (buf: Buffer, offset: number) => void {
  const payload = 'lorem-ipsum-dolor-sit-amet-'.repeat(8);
  let id = 0;
  let carry = Buffer.alloc(0);
  return (buf) => {
    let filled = 0;
    if (carry.length) {
      const n = carry.copy(buf, 0);
      carry = carry.subarray(n);
      filled = n;
    }
    while (filled < buf.length) {
      id++;
      const rec = Buffer.from(`{"id":${id},"name":"item-${id}","tags":["a","b","c"],"payload":"${payload}"}\n`);
      const n = rec.copy(buf, filled);
      filled += n;
      if (n < rec.length) carry = rec.subarray(n);
    }
  };
}

// --- layer and layout writing --------------------------------------------------------------------

class Measure extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

async function writeLayer(layout: string, source: Readable, createdBy: string): Promise<LayerInfo> {
  const tmp = join(layout, 'blobs', 'sha256', `.tmp-${process.pid}`);
  const plain = new Measure();
  const packed = new Measure();
  await pipeline(source, plain, createGzip({ level: 6 }), packed, createWriteStream(tmp));
  const digest = packed.hash.digest('hex');
  renameSync(tmp, join(layout, 'blobs', 'sha256', digest));
  return {
    createdBy,
    digest: `sha256:${digest}`,
    diffId: `sha256:${plain.hash.digest('hex')}`,
    size: packed.bytes,
    uncompressed: plain.bytes,
  };
}

function writeBlob(layout: string, data: string): { digest: string; size: number } {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

function rootfsTar(root: string): Readable {
  const child = spawn('tar', ['-C', root, '--sort=name', '--numeric-owner', `--mtime=@${MTIME}`, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.on('exit', (code) => {
    if (code !== 0) child.stdout.destroy(new Error(`tar of ${root} exited ${code}`));
  });
  return child.stdout;
}

function* range<T>(n: number, f: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield f(i);
}

export async function buildBigImage(layout: string, root: string): Promise<LayerInfo[]> {
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const layers: LayerInfo[] = [];
  const step = async (label: string, source: Readable) => {
    const t = Date.now();
    const l = await writeLayer(layout, source, label);
    layers.push(l);
    console.error(
      `  layer ${layers.length - 1}: ${label}: ${mib(l.uncompressed)} -> ${mib(l.size)} in ${ms(Date.now() - t)}`,
    );
  };
  await step('debootstrap --variant=minbase bookworm', rootfsTar(root));
  await step(
    'pseudo-random blobs (8 x 32 MiB)',
    Readable.from(
      tarOf(
        ['opt/', 'opt/data/'],
        range(8, (i) => ({ name: `opt/data/blob-${i}.bin`, size: 32 * MiB, fill: randomFill(i) })),
      ),
    ),
  );
  await step(
    'log-like text (64 x 4 MiB)',
    Readable.from(
      tarOf(
        ['var/', 'var/log/', 'var/log/app/'],
        range(64, (i) => ({ name: `var/log/app/app-${i}.log`, size: 4 * MiB, fill: textFill(i + 1) })),
      ),
    ),
  );
  await step(
    'repetitive JSON (12 x 16 MiB)',
    Readable.from(
      tarOf(
        ['srv/', 'srv/records/'],
        range(12, (i) => ({ name: `srv/records/part-${i}.json`, size: 16 * MiB, fill: repetitiveFill() })),
      ),
    ),
  );
  const dirs = ['usr/', 'usr/lib/', 'usr/lib/node_modules/', ...range(600, (d) => `usr/lib/node_modules/pkg-${d}/`)];
  await step(
    'many small files (12000 x 8 KiB)',
    Readable.from(
      tarOf(
        dirs,
        range(12000, (i) => ({
          name: `usr/lib/node_modules/pkg-${i % 600}/file-${i}.js`,
          size: 8 * 1024,
          fill: i % 2 ? randomFill(1000 + i) : textFill(1000 + i),
        })),
      ),
    ),
  );

  const created = new Date(MTIME * 1000).toISOString();
  const config = JSON.stringify({
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: l.createdBy })),
  });
  const cfg = writeBlob(layout, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: l.digest,
      size: l.size,
    })),
  });
  const man = writeBlob(layout, manifest);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...man,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  writeFileSync(join(layout, '.complete'), JSON.stringify({ version: BUILD_VERSION, layers }));
  return layers;
}

function cachedLayers(layout: string): LayerInfo[] | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(layout, '.complete'), 'utf8')) as {
      version: number;
      layers: LayerInfo[];
    };
    if (stamp.version !== BUILD_VERSION) return undefined;
    for (const l of stamp.layers) {
      if (statSync(join(layout, 'blobs', 'sha256', l.digest.slice(7))).size !== l.size) return undefined;
    }
    return stamp.layers;
  } catch {
    return undefined;
  }
}

function benchDir(): string {
  if (process.env.BOLLARD_BENCH_DIR) return process.env.BOLLARD_BENCH_DIR;
  const root = debootstrapRoot();
  return join(root, '..', 'bench');
}

// A program; its helpers are imported by the tests.
if (import.meta.main)
  await main(async () => {
    const root = process.env.BOLLARD_BENCH_ROOT ?? debootstrapRoot();
    if (!existsSync(join(root, 'var/lib/dpkg/status'))) {
      throw new Error(`no Debian root at ${root}: run "sudo scripts/test-env.sh up" first`);
    }
    requireBollard('sbom');
    const runs = envInt('BENCH_RUNS', 3);
    const layout = join(benchDir(), 'big-image');

    let layers = process.argv.includes('--rebuild') ? undefined : cachedLayers(layout);
    if (!layers) {
      console.error(`building the big image in ${layout} (once)`);
      const t = Date.now();
      layers = await buildBigImage(layout, root);
      console.error(`built in ${ms(Date.now() - t)}`);
    }
    const total = layers.reduce((a, l) => a + l.uncompressed, 0);
    const stored = layers.reduce((a, l) => a + l.size, 0);
    console.log(`image: ${layout} — ${layers.length} layers, ${mib(total)} uncompressed, ${mib(stored)} stored`);

    const blobs = layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice(7)));
    // Both sides read the blobs from the page cache: read them once first.
    for (const b of blobs) runOk('cat', [b], {});

    // tar -tzf runs gzip as a child: /usr/bin/time counts its CPU too.
    const tarTimes: number[] = [];
    const tarCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      let wall = 0;
      let cpu = 0;
      for (const b of blobs) {
        const r = runWithPeakRss('tar', ['-tzf', b]);
        if (r.code !== 0) throw new Error(`tar -tzf ${b} exited ${r.code}`);
        wall += r.ms;
        cpu += r.cpuMs;
      }
      tarTimes.push(wall);
      tarCpu.push(cpu);
    }

    const work = join(tmpdir(), `bollard-bench-big-${process.pid}`);
    mkdirSync(work, { recursive: true });
    const bollardTimes: number[] = [];
    const bollardCpu: number[] = [];
    let peak = 0;
    let packages = 0;
    try {
      for (let i = 0; i < runs; i++) {
        const out = join(work, 'sbom.cdx.json');
        const r = runWithPeakRss(process.execPath, [
          bollardBin,
          'sbom',
          `oci:${layout}:latest`,
          '--format',
          'cyclonedx',
          '--output',
          out,
          '--no-cache',
          '--quiet',
        ]);
        if (r.code !== 0)
          throw new Error(`bollard sbom exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        bollardTimes.push(r.ms);
        bollardCpu.push(r.cpuMs);
        peak = Math.max(peak, r.maxRssBytes);
        packages = (JSON.parse(readFileSync(out, 'utf8')) as { components?: unknown[] }).components?.length ?? 0;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }

    const tTar = summarise(tarTimes);
    const tBollard = summarise(bollardTimes);
    const mbps = (t: number) => `${(total / MiB / (t / 1000)).toFixed(0)} MiB/s`;
    const cpuTar = summarise(tarCpu);
    const cpuBollard = summarise(bollardCpu);
    console.log(
      `tar -tzf (all layers) median ${ms(tTar.median)} = ${mbps(tTar.median)} of uncompressed tar; CPU ${ms(cpuTar.median)}`,
    );
    console.log(
      `bollard sbom          median ${ms(tBollard.median)} = ${mbps(tBollard.median)}; CPU ${ms(cpuBollard.median)}; ${packages} components`,
    );
    console.log(`peak RSS ${mib(peak)} (budget ${mib(RSS_BUDGET)})`);
    reportFigure({
      name: 'big-image-rss',
      summary: `peak RSS ${mib(peak)} of a ${mib(total)} image = ${(peak / RSS_BUDGET).toFixed(2)} of the ${mib(RSS_BUDGET)} budget`,
      ratio: peak / RSS_BUDGET,
      target: '<= 1.00 of 300 MiB',
      pass: peak <= RSS_BUDGET,
      details: { peakRssBytes: peak, budgetBytes: RSS_BUDGET, uncompressedBytes: total, storedBytes: stored, runs },
    });
    reportFigure({
      name: 'big-image-throughput',
      summary: `bollard sbom takes ${(tBollard.median / tTar.median).toFixed(2)}x the wall time of tar -tzf over the same layers (${ms(tBollard.median)} vs ${ms(tTar.median)}; ${mbps(tBollard.median)} vs ${mbps(tTar.median)}), ${(cpuBollard.median / cpuTar.median).toFixed(2)}x its CPU time`,
      ratio: tBollard.median / tTar.median,
      details: {
        bollard: tBollard,
        tar: tTar,
        bollardCpu: cpuBollard,
        tarCpu: cpuTar,
        uncompressedBytes: total,
        layers,
      },
    });
  });
