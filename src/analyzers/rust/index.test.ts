// Cargo.lock: written by cargo 1.95 (lockfile version 4) for a workspace of two local crates, then
// given four crates.io entries in cargo's own layout (crates.io is not reachable from this machine;
// the checksums are placeholders). The audit section is built the way cargo-auditable writes it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { defaultLimits } from '../../util/limits.ts';
import type { AnalyzerContext } from '../types.ts';
import { rustAnalyzer } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');

/** A 64-bit little-endian ELF file with the given sections (and the section name table). */
export function elfWithSections(sections: [string, Buffer][]): Buffer {
  const names = Buffer.concat([
    Buffer.from([0]),
    ...sections.map(([n]) => Buffer.from(`${n}\0`)),
    Buffer.from('.shstrtab\0'),
  ]);
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2;
  header[5] = 1;
  header[6] = 1;
  const datas: Buffer[] = [];
  let offset = 64;
  const shdrs: Buffer[] = [Buffer.alloc(64)];
  let nameOff = 1;
  for (const [n, d] of [...sections, ['.shstrtab', names] as [string, Buffer]]) {
    const sh = Buffer.alloc(64);
    sh.writeUInt32LE(nameOff, 0);
    sh.writeUInt32LE(n === '.shstrtab' ? 3 : 1, 4);
    sh.writeBigUInt64LE(BigInt(offset), 24);
    sh.writeBigUInt64LE(BigInt(d.length), 32);
    shdrs.push(sh);
    datas.push(d);
    offset += d.length;
    nameOff += Buffer.byteLength(n) + 1;
  }
  header.writeBigUInt64LE(BigInt(offset), 0x28);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(shdrs.length, 0x3c);
  header.writeUInt16LE(shdrs.length - 1, 0x3e);
  return Buffer.concat([header, ...datas, ...shdrs, Buffer.alloc(70_000)]);
}

describe('Rust', () => {
  test('Cargo.lock: registry crates with dependencies; local crates left out, their dependencies direct', async () => {
    const r = await runAnalyzer(
      rustAnalyzer,
      new Map([['src/demo/Cargo.lock', readFileSync(join(FIX, 'Cargo.lock'))]]),
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.draft.packages.map((p) => [p.type, p.name, p.version, p.direct, (p.dependsOn ?? []).join(',')]),
      [
        ['cargo', 'libc', '0.2.139', false, ''],
        ['cargo', 'smallvec', '1.6.0', true, ''],
        ['cargo', 'time', '0.1.43', true, 'libc,winapi'],
        ['cargo', 'winapi', '0.3.9', false, ''],
      ],
    );
    assert.match(r.draft.packages[1]?.integrity ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  test('cargo-auditable .dep-v0 section: crates compiled in, not the root or build-only ones', async () => {
    const audit = {
      packages: [
        { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2], root: true },
        { name: 'smallvec', version: '1.6.0', source: 'crates.io' },
        { name: 'time', version: '0.1.43', source: 'crates.io', dependencies: [3] },
        { name: 'libc', version: '0.2.139', source: 'crates.io' },
        { name: 'cc', version: '1.0.79', source: 'crates.io', kind: 'build' },
      ],
    };
    const bin = elfWithSections([
      ['.text', Buffer.alloc(32)],
      ['.dep-v0', deflateSync(JSON.stringify(audit))],
    ]);
    const entry = { path: 'usr/bin/app', type: 'file' as const, mode: 0o755, uid: 0, gid: 0, size: bin.length };
    assert.equal(rustAnalyzer.wants('usr/bin/app', entry), true);
    const warnings: string[] = [];
    const ctx: AnalyzerContext = {
      layer: undefined,
      limits: defaultLimits,
      tempRoot: { path: '/nonexistent', file: () => assert.fail('no temp files'), dispose() {} },
      warn: (c) => void warnings.push(c),
    };
    const items = await rustAnalyzer.analyze({ path: 'usr/bin/app', entry, content: bin }, ctx);
    const ps = items.flatMap((i) => (i.kind === 'packages' ? i.packages : []));
    assert.deepEqual(
      ps.map((p) => `${p.name}@${p.version}`),
      ['smallvec@1.6.0', 'time@0.1.43', 'libc@0.2.139'],
    );
    assert.deepEqual(ps[1]?.dependsOn, ['libc']);
    // A section that does not inflate, and a file that is not ELF, yield nothing.
    const broken = elfWithSections([['.dep-v0', garbage(100)]]);
    assert.deepEqual(await rustAnalyzer.analyze({ path: 'b', entry, content: broken }, ctx), []);
    assert.deepEqual(await rustAnalyzer.analyze({ path: 'c', entry, content: garbage(100_000) }, ctx), []);
    assert.deepEqual(warnings, ['CARGO_AUDIT_INVALID']);
  });

  test('a hostile Cargo.lock is counted, never fatal', async () => {
    const r = await runAnalyzer(
      rustAnalyzer,
      new Map<string, string | Buffer>([
        ['a/Cargo.lock', garbage(2000)],
        ['b/Cargo.lock', '[[package]]\nname = "x y"\nversion = "1"\nsource = "registry+x"\n'],
      ]),
    );
    assert.deepEqual(r.draft.packages, []);
    assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['CARGO_LOCKFILE_INVALID', 'CARGO_RECORD_INVALID']);
  });
});
