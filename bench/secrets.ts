/**
 * The secret scanner (#7, acceptance 3):
 *
 *   node bench/secrets.ts
 *
 * 1. Throughput: the text files of the project's node_modules and of the Debian root's /usr and /etc
 *    (binary files left out, as the scanner leaves them out), read into memory, then scanned
 *    BENCH_RUNS times on one core. Figure: MB/s (median run); target >= 100.
 * 2. Added time on an image scan: the test environment's Debian image (oci-archive) inventoried with
 *    the default analyzers, and with the secret analyzer added plus the image-config scan,
 *    alternating, no layer cache. Figure: ratio of medians; target <= 1.30.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAnalyzers } from '../src/analyzers/api.ts';
import { inventoryTarget } from '../src/scan/service.ts';
import { isBinary } from '../src/secrets/analyzer.ts';
import { collectSecrets, createSecretAnalyzer, createSecretScanner } from '../src/secrets/index.ts';
import { envInt, main, ms, repoRoot, reportFigure, requireTestEnv, summarise } from './lib.ts';

const MIN_MBPS = 100;
const MAX_RATIO = 1.3;

function textFiles(root: string, out: { path: string; content: Buffer }[], maxBytes: number): void {
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const content = readFileSync(p);
        if (content.length === 0 || content.length > maxBytes || isBinary(content)) continue;
        out.push({ path: p.slice(root.length + 1), content });
      }
    }
  };
  walk(root);
}

await main(async () => {
  const env = requireTestEnv();
  const runs = envInt('BENCH_RUNS', 5);
  const scanner = createSecretScanner();

  const corpus: { path: string; content: Buffer }[] = [];
  for (const root of [join(repoRoot, 'node_modules'), join(env.rootfs, 'usr'), join(env.rootfs, 'etc')])
    textFiles(root, corpus, scanner.maxFileBytes);
  const bytes = corpus.reduce((n, f) => n + f.content.length, 0);
  // One warm-up pass: the figure is the steady state, not the JIT's first look.
  for (const f of corpus) scanner.scan(f.content, f.path);
  const passes: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    findings = 0;
    for (const f of corpus) findings += scanner.scan(f.content, f.path).length;
    passes.push(performance.now() - t);
  }
  const pass = summarise(passes);
  const mbps = bytes / 1e6 / (pass.median / 1000);
  reportFigure({
    name: 'secrets-throughput',
    summary: `${mbps.toFixed(0)} MB/s on one core over ${(bytes / 1e6).toFixed(1)} MB of text in ${corpus.length} files (${scanner.rules.length} rules, ${findings} findings); median pass ${ms(pass.median)}`,
    ratio: mbps / MIN_MBPS,
    target: `>= ${MIN_MBPS} MB/s`,
    pass: mbps >= MIN_MBPS,
    details: { bytes, files: corpus.length, rules: scanner.rules.length, passesMs: passes, findings },
  });

  const target = `oci-archive:${env.images.ociArchive}`;
  const base: number[] = [];
  const withSecrets: number[] = [];
  let secretFiles = 0;
  await inventoryTarget(target, { cacheDir: false }); // warm the file cache and the JIT
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await inventoryTarget(target, { cacheDir: false });
    base.push(performance.now() - t);
    t = performance.now();
    const collector = createSecretAnalyzer(scanner);
    const inv = await inventoryTarget(target, {
      cacheDir: false,
      analyzers: [...defaultAnalyzers(), collector.analyzer],
    });
    collectSecrets(inv, collector, scanner);
    withSecrets.push(performance.now() - t);
    secretFiles = collector.stats().files;
  }
  const b = summarise(base);
  const w = summarise(withSecrets);
  const ratio = w.median / b.median;
  reportFigure({
    name: 'secrets-image-overhead',
    summary: `image inventory ${ms(b.median)} → ${ms(w.median)} with secrets (${secretFiles} text files scanned): ×${ratio.toFixed(2)}`,
    ratio,
    target: `<= ${MAX_RATIO}`,
    pass: ratio <= MAX_RATIO,
    details: { image: target, baseMs: base, withSecretsMs: withSecrets, secretFiles },
  });
  if (mbps < MIN_MBPS || ratio > MAX_RATIO) process.exitCode = 1;
});
