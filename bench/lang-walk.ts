/**
 * Issue #4, acceptance 4: walking a layer of 100,000 files with every analyzer (OS and language)
 * costs at most 1.5x what `tar -tzf` of the same layer costs.
 *
 *   node bench/lang-walk.ts
 *
 * The layer is generated once per run: an application image's worth of small files (an npm project
 * with node_modules and its package-lock.json, Python site-packages, jars, executables, docs),
 * 100,000 files in all, packed by GNU tar and gzip. Timed (BENCH_RUNS runs, median): `tar -tzf` of the
 * blob (a fresh process each run), and Bollard's layer walk in this process (gunzip, tar parse,
 * diffID check, every analyzer's wants() on every entry, reading and parsing what they want), with all
 * registered analyzers and, for reference, with the OS analyzers only.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { analyzers } from '../src/analyzers/api.ts';
import type { Analyzer } from '../src/analyzers/types.ts';
import type { LayerRef } from '../src/artifact/types.ts';
import { createDispatcher } from '../src/layer/dispatch.ts';
import { walkLayer } from '../src/layer/walk.ts';
import { isDigest } from '../src/util/digest.ts';
import { defaultLimits } from '../src/util/limits.ts';
import { createTempRoot } from '../src/util/tempdir.ts';
import { envInt, main, ms, repoRoot, reportFigure, runOk, summarise, type Timing } from './lib.ts';

const TARGET = 1.5;
const FILES = 100_000;

function text(seed: number, bytes: number): string {
  let s = '';
  let x = seed * 2654435761;
  while (s.length < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += `${x.toString(36)} `;
  }
  return s.slice(0, bytes);
}

/** Write the tree; returns the number of files written. */
function generate(root: string): number {
  let n = 0;
  const write = (p: string, data: string | Buffer, mode = 0o644): void => {
    writeFileSync(join(root, p), data, { mode });
    n++;
  };
  const dir = (p: string): void => {
    mkdirSync(join(root, p), { recursive: true });
  };
  // npm: 2,000 installed packages of 20 files each, and the project's lockfile.
  const lock: Record<string, unknown> = { '': { name: 'bench-app', version: '1.0.0', dependencies: {} } };
  for (let i = 0; i < 2000; i++) {
    const name = i % 10 === 0 ? `@scope${i % 7}/pkg-${i}` : `pkg-${i}`;
    dir(`srv/app/node_modules/${name}/lib`);
    write(
      `srv/app/node_modules/${name}/package.json`,
      JSON.stringify({
        name,
        version: `1.${i % 50}.${i % 7}`,
        license: 'MIT',
        dependencies: { [`pkg-${(i + 1) % 2000}`]: '^1.0.0' },
      }),
    );
    for (let f = 0; f < 19; f++) write(`srv/app/node_modules/${name}/lib/f${f}.js`, text(i * 100 + f, 300));
    lock[`node_modules/${name}`] = { version: `1.${i % 50}.${i % 7}`, integrity: `sha512-${'A'.repeat(86)}==` };
  }
  write('srv/app/package-lock.json', JSON.stringify({ name: 'bench-app', lockfileVersion: 3, packages: lock }));
  write('srv/app/package.json', JSON.stringify({ name: 'bench-app', version: '1.0.0' }));
  // Python: 500 distributions of 32 files each.
  for (let i = 0; i < 500; i++) {
    const d = `usr/lib/python3/dist-packages/dist${i}-1.${i}.0.dist-info`;
    dir(d);
    dir(`usr/lib/python3/dist-packages/dist${i}`);
    write(`${d}/METADATA`, `Metadata-Version: 2.1\nName: dist${i}\nVersion: 1.${i}.0\nLicense: MIT\n\n${text(i, 400)}`);
    write(`${d}/RECORD`, text(i + 7, 500));
    for (let f = 0; f < 30; f++) write(`usr/lib/python3/dist-packages/dist${i}/m${f}.py`, text(i * 31 + f, 300));
  }
  // Java: 40 copies of a real Debian jar.
  dir('usr/share/java');
  const jar = readFileSync(join(repoRoot, 'src/analyzers/java/__fixtures__/slf4j-api.jar'));
  for (let i = 0; i < 40; i++) write(`usr/share/java/lib${i}.jar`, jar);
  // Executables (small scripts and a Go build-info blob) and filler documentation up to FILES.
  dir('usr/bin');
  for (let i = 0; i < 200; i++) write(`usr/bin/tool${i}`, `#!/bin/sh\n${text(i, 200)}\n`, 0o755);
  const filler = FILES - n;
  for (let i = 0; i < filler; i++) {
    if (i % 500 === 0) dir(`usr/share/doc/d${i / 500}`);
    write(`usr/share/doc/d${Math.floor(i / 500)}/f${i}.txt`, text(i, 250));
  }
  return n;
}

async function walkOnce(
  blob: string,
  layer: LayerRef,
  set: readonly Analyzer[],
): Promise<{ ms: number; packages: number; entries: number }> {
  const tempRoot = createTempRoot();
  try {
    const d = createDispatcher({ analyzers: set, layer, limits: defaultLimits, tempRoot });
    const start = process.hrtime.bigint();
    const r = await walkLayer(createReadStream(blob), layer, d, defaultLimits);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    let packages = 0;
    for (const it of r.analysis.items) if (it.kind === 'packages') packages += it.packages.length;
    return { ms: elapsed, packages, entries: r.analysis.stats.entries };
  } finally {
    tempRoot.dispose();
  }
}

async function sha256Of(path: string, gunzip: boolean): Promise<string> {
  const h = createHash('sha256');
  const s = gunzip ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  for await (const c of s) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

await main(async () => {
  const runs = envInt('BENCH_RUNS', 5);
  const work = mkdtempSync(join(tmpdir(), 'bollard-bench-lang-'));
  try {
    const root = join(work, 'root');
    mkdirSync(root);
    const files = generate(root);
    const blob = join(work, 'layer.tar.gz');
    runOk('tar', ['-C', root, '--sort=name', '--numeric-owner', '-czf', blob, '.']);
    const diffId = await sha256Of(blob, true);
    const digest = await sha256Of(blob, false);
    if (!isDigest(diffId) || !isDigest(digest)) throw new Error('digest');
    const layer: LayerRef = { index: 0, diffId, digest, size: statSync(blob).size };

    const tar: number[] = [];
    const all: number[] = [];
    const os: number[] = [];
    const osOnly = analyzers.filter((a) => ['os-release', 'dpkg', 'apk', 'rpm'].includes(a.id));
    let packages = 0;
    let entries = 0;
    // One untimed round warms the page cache and the JIT.
    runOk('tar', ['-tzf', blob]);
    await walkOnce(blob, layer, analyzers);
    for (let r = 0; r < runs; r++) {
      tar.push(runOk('tar', ['-tzf', blob]).ms);
      const w = await walkOnce(blob, layer, analyzers);
      all.push(w.ms);
      packages = w.packages;
      entries = w.entries;
      os.push((await walkOnce(blob, layer, osOnly)).ms);
    }
    const tTar: Timing = summarise(tar);
    const tAll: Timing = summarise(all);
    const tOs: Timing = summarise(os);
    const ratio = tAll.median / tTar.median;
    if (packages < 2000 + 500 + 40)
      throw new Error(`the walk found only ${packages} packages: the analyzers did not run`);
    reportFigure({
      name: 'lang-walk',
      summary: `walking a ${files}-file layer with all ${analyzers.length} analyzers takes ${ratio.toFixed(2)}x tar -tzf (${ms(tAll.median)} vs ${ms(tTar.median)}; OS analyzers only ${ms(tOs.median)}, ${(tOs.median / tTar.median).toFixed(2)}x); ${packages} packages from ${entries} entries`,
      ratio,
      target: `<= ${TARGET}`,
      pass: ratio <= TARGET,
      details: { files, entries, packages, blobBytes: layer.size, runs, tar: tTar, all: tAll, osOnly: tOs },
    });
    if (ratio > TARGET) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
