/**
 * Test-image builders shared by the local-source tests: real images made with umoci, skopeo and
 * podman (Debian packages), never hand-written layer tars. Everything goes under a fresh temp dir.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress, gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { resolveLimits } from '../../../util/limits.ts';
import { silentLogger } from '../../../util/logger.ts';
import { silentProgress } from '../../../util/progress.ts';
import { createTempRoot, type TempRoot } from '../../../util/tempdir.ts';
import type { ArtifactOptions, ImageArtifact } from '../../types.ts';

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function makeWorkDir(label: string): string {
  return mkdtempSync(join(process.env.BOLLARD_TMPDIR ?? tmpdir(), `bollard-${label}-`));
}

export function artifactOptions(overrides: Partial<ArtifactOptions> = {}): ArtifactOptions & { tempRoot: TempRoot } {
  return {
    limits: resolveLimits(),
    tempRoot: createTempRoot('bollard-test-'),
    logger: silentLogger,
    progress: silentProgress,
    ...overrides,
  } as ArtifactOptions & { tempRoot: TempRoot };
}

export interface BuiltImages {
  work: string;
  /** OCI layout made by umoci (gzip layers), image tagged `v1`. */
  layout: string;
  tag: string;
}

/**
 * A three-layer image: busybox and a few files; then a file added and one deleted (a whiteout);
 * then a directory. Config with env, cmd, labels, linux/amd64.
 */
export function buildBusyboxLayout(work: string): BuiltImages {
  const layout = join(work, 'layout');
  const bundle = join(work, 'bundle');
  const tag = 'v1';
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', `${layout}:${tag}`]);
  const step = (change: (rootfs: string) => void, history: string): void => {
    rmSync(bundle, { recursive: true, force: true });
    run('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    change(join(bundle, 'rootfs'));
    run('umoci', ['repack', '--image', `${layout}:${tag}`, '--history.created_by', history, bundle]);
  };
  step((root) => {
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/motd'), 'to be deleted\n');
    writeFileSync(join(root, 'etc/os-release'), 'ID=busybox\nVERSION_ID=1.35\n');
  }, 'COPY busybox /bin/busybox');
  step((root) => {
    writeFileSync(join(root, 'etc/hello'), 'hello\n');
    rmSync(join(root, 'etc/motd'));
  }, 'RUN echo hello > /etc/hello && rm /etc/motd');
  step((root) => {
    mkdirSync(join(root, 'app/data'), { recursive: true });
    writeFileSync(join(root, 'app/data/readme.txt'), 'data\n');
  }, 'COPY data /app/data');
  run('umoci', [
    'config',
    '--image',
    `${layout}:${tag}`,
    '--architecture',
    'amd64',
    '--os',
    'linux',
    '--config.env',
    'PATH=/bin',
    '--config.cmd',
    '/bin/busybox',
    '--config.label',
    'org.example.test=bollard',
  ]);
  rmSync(bundle, { recursive: true, force: true });
  return { work, layout, tag };
}

export function skopeo(args: string[]): void {
  run('skopeo', ['--insecure-policy', 'copy', '-q', ...args]);
}

/** The same image with zstd, re-gzipped or uncompressed layers (uncompressed written here: skopeo 1.9 cannot). */
export function layoutVariant(src: BuiltImages, kind: 'zstd' | 'gzip' | 'none'): string {
  const dest = join(src.work, `layout-${kind}`);
  if (kind === 'zstd') {
    skopeo([
      '--dest-compress-format',
      'zstd',
      '--dest-compress',
      `oci:${src.layout}:${src.tag}`,
      `oci:${dest}:${src.tag}`,
    ]);
    return dest;
  }
  skopeo([`oci:${src.layout}:${src.tag}`, `oci:${dest}:${src.tag}`]);
  if (kind === 'gzip') return dest;
  const index = JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')) as {
    manifests: { digest: string; size: number }[];
  };
  const md = index.manifests[0] as { digest: string; size: number };
  const blob = (d: string): string => join(dest, 'blobs', 'sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(md.digest), 'utf8')) as {
    layers: { mediaType: string; digest: string; size: number }[];
  };
  for (const l of manifest.layers) {
    const plain = gunzipSync(readFileSync(blob(l.digest)));
    const d = sha256(plain);
    writeFileSync(blob(d), plain);
    l.mediaType = 'application/vnd.oci.image.layer.v1.tar';
    l.digest = d;
    l.size = plain.length;
  }
  const mbytes = Buffer.from(JSON.stringify(manifest));
  const mdigest = sha256(mbytes);
  writeFileSync(blob(mdigest), mbytes);
  md.digest = mdigest;
  md.size = mbytes.length;
  writeFileSync(join(dest, 'index.json'), JSON.stringify(index));
  return dest;
}

/**
 * A layout whose index.json names an image index holding the image for linux/amd64 and a variant
 * configured for linux/arm64/v8 (same layers), tagged `multi`.
 */
export function twoPlatformLayout(src: BuiltImages): { layout: string; tag: string; amd64: string; arm64: string } {
  const dest = join(src.work, 'layout-multi');
  skopeo([`oci:${src.layout}:${src.tag}`, `oci:${dest}:amd64`]);
  skopeo([`oci:${src.layout}:${src.tag}`, `oci:${dest}:arm64`]);
  run('umoci', ['config', '--image', `${dest}:arm64`, '--architecture', 'arm64', '--os', 'linux']);
  const index = JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')) as {
    manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const byTag = (t: string) => {
    const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === t);
    if (!d) throw new Error(`no ${t} in ${dest}`);
    return { mediaType: d.mediaType, digest: d.digest, size: d.size };
  };
  const amd64 = byTag('amd64');
  const arm64 = byTag('arm64');
  const multi = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      ],
    }),
  );
  const digest = sha256(multi);
  writeFileSync(join(dest, 'blobs', 'sha256', digest.slice('sha256:'.length)), multi);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest,
    size: multi.length,
    annotations: { 'org.opencontainers.image.ref.name': 'multi' },
  });
  writeFileSync(join(dest, 'index.json'), JSON.stringify(index));
  return { layout: dest, tag: 'multi', amd64: amd64.digest, arm64: arm64.digest };
}

/** gzip or zstd a whole archive file, as `gzip image.tar` would. */
export function compressFile(src: string, kind: 'gzip' | 'zstd'): string {
  const dest = `${src}.${kind === 'gzip' ? 'gz' : 'zst'}`;
  const data = readFileSync(src);
  writeFileSync(dest, kind === 'gzip' ? gzipSync(data) : zstdCompressSync(data));
  return dest;
}

/** Podman with a private store under `dir` (vfs driver), so tests never touch the machine's images. */
export interface PrivatePodman {
  args: string[];
  env: NodeJS.ProcessEnv;
  run(args: string[]): string;
}

export function privatePodman(dir: string): PrivatePodman {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'containers.conf');
  // default_ulimits = []: podman otherwise raises limits it may not (no CAP_SYS_RESOURCE here);
  // cgroupfs, file events and runc: no systemd and hybrid cgroups on the test machines.
  writeFileSync(
    conf,
    '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n',
  );
  const args = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  return { args, env, run: (a) => run('podman', [...args, ...a], env) };
}

/** Bytes of a stream. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Decompress by magic bytes, as the layer walker does. */
export async function uncompressed(raw: Buffer): Promise<Buffer> {
  if (raw[0] === 0x1f && raw[1] === 0x8b) return collect(createGunzip().end(raw));
  if (raw[0] === 0x28 && raw[1] === 0xb5 && raw[2] === 0x2f && raw[3] === 0xfd)
    return collect(createZstdDecompress().end(raw));
  return raw;
}

/** Every layer of an artifact: the raw blob digest and the digest after decompression. */
export async function layerDigests(a: ImageArtifact): Promise<{ blob: string; diffId: string }[]> {
  const out: { blob: string; diffId: string }[] = [];
  for (let i = 0; i < a.metadata.layers.length; i++) {
    const raw = await collect(await a.openLayer(i));
    out.push({ blob: sha256(raw), diffId: sha256(await uncompressed(raw)) });
  }
  return out;
}
