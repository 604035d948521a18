import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../test/helpers/errors.ts';
import { SEMVER_VERSIONING, versioningById, versioningFor, versionings } from './api.ts';

// One valid sample per module, in ascending order, to check the order's laws.
const SAMPLES: Record<string, string[]> = {
  deb: ['1.0~rc1-1', '1.0-1', '1.0-1+deb12u1', '1.0.1-1', '1:0.5-1'],
  rpm: ['1.0~rc1-1.el9', '1.0-1.el9', '1.0-2.el9', '1.0^git1-1.el9', '1:0.1-1'],
  apk: ['1.0_alpha1-r0', '1.0-r0', '1.0-r1', '1.0_p1-r0', '1.0.1-r0'],
  semver: ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0', '1.0.1', '2.0.0'],
  pep440: ['1.0.dev1', '1.0a1', '1.0', '1.0.post1', '1!0.1'],
  maven: ['1.0-alpha-1', '1.0-SNAPSHOT', '1.0', '1.0-sp1', '1.0.1'],
  go: ['v0.0.0-20191109021931-daa7c04131f5', 'v1.0.0-rc.1', '1.0.0', 'v1.0.1', 'v2.0.0+incompatible'],
  cargo: ['0.1.0', '1.0.0-alpha', '1.0.0', '1.0.1', '1.10.0'],
  gem: ['1.0.a', '1.0.0.pre', '1.0', '1.0.1', '1.10'],
  composer: ['1.0.0-dev', '1.0.0-alpha1', '1.0.0-RC1', '1.0.0', '1.0.0-patch1'],
  nuget: ['1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.11', '1.0', '1.0.0.1'],
};

// Maven orders any string (`é`, `ζέβρα` are facts), so the common garbage is what no module reads.
const GARBAGE = [
  '',
  ' ',
  '\u0000',
  '\n1.0',
  '1.0\n',
  '1.0\u0007',
  'x'.repeat(10_000),
  '1.'.repeat(5_000),
  '..',
  '--',
  ':',
  '[1,2)',
];

// Ecosystems without a constraint syntax of their own (Debian, RPM and Go match by ranges only).
const WITHOUT_CONSTRAINTS = ['deb', 'rpm', 'go'];

describe('versioning registry', () => {
  test(`${versionings.length} modules with distinct ids`, () => {
    const ids = versionings.map((v) => v.id);
    assert.deepEqual(ids, [
      'deb',
      'rpm',
      'apk',
      'semver',
      'pep440',
      'maven',
      'go',
      'cargo',
      'gem',
      'composer',
      'nuget',
    ]);
    for (const id of ids) assert.equal(versioningById(id)?.id, id);
    assert.equal(versioningById('semver2'), SEMVER_VERSIONING);
  });

  for (const v of versionings) {
    describe(v.id, () => {
      const sample = SAMPLES[v.id]!;

      test('isValid never throws on garbage and rejects it', () => {
        for (const g of GARBAGE) assert.equal(v.isValid(g), false, JSON.stringify(g.slice(0, 20)));
        assert.equal(v.isValid(undefined as unknown as string), false);
      });

      test('compare throws INPUT_INVALID on garbage', () => {
        for (const g of GARBAGE) {
          assert.throws(() => v.compare(sample[0]!, g), expectCode('INPUT_INVALID'));
          assert.throws(() => v.compare(g, sample[0]!), expectCode('INPUT_INVALID'));
        }
      });

      test('compare is a total order on a sample: reflexive, antisymmetric, transitive', () => {
        for (const a of sample) assert.ok(v.isValid(a), a);
        for (let i = 0; i < sample.length; i++) {
          for (let j = 0; j < sample.length; j++) {
            const c = Math.sign(v.compare(sample[i]!, sample[j]!));
            assert.equal(c, Math.sign(i - j), `${sample[i]} vs ${sample[j]}`);
            assert.equal(Math.sign(v.compare(sample[j]!, sample[i]!)), -c || 0);
          }
        }
      });

      test('satisfies exists where the ecosystem has a syntax, and never throws on garbage', () => {
        assert.equal(v.satisfies === undefined, WITHOUT_CONSTRAINTS.includes(v.id));
        if (!v.satisfies) return;
        for (const g of [...GARBAGE, '>=', '||', '[', '(,)', '^', '~>', '*'.repeat(5000)]) {
          assert.equal(typeof v.satisfies(sample[2]!, g), 'boolean');
          assert.equal(v.satisfies(g, '>=0'), false);
        }
      });
    });
  }

  test('OSV ecosystem names map to modules', () => {
    const cases: [string, string | undefined][] = [
      ['Debian:12', 'deb'],
      ['Ubuntu:22.04:LTS', 'deb'],
      ['Alpine:v3.19', 'apk'],
      ['Wolfi', 'apk'],
      ['Chainguard', 'apk'],
      ['Red Hat', 'rpm'],
      ['Red Hat:enterprise_linux:9::appstream', 'rpm'],
      ['Rocky Linux:9', 'rpm'],
      ['AlmaLinux:9', 'rpm'],
      ['openSUSE:Tumbleweed', 'rpm'],
      ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
      ['Mageia:9', 'rpm'],
      ['Photon OS:5.0', 'rpm'],
      ['npm', 'semver'],
      ['PyPI', 'pep440'],
      ['Go', 'go'],
      ['Maven', 'maven'],
      ['crates.io', 'cargo'],
      ['RubyGems', 'gem'],
      ['Packagist', 'composer'],
      ['NuGet', 'nuget'],
      ['Hex', 'semver2'],
      ['Pub', undefined],
      ['GitHub Actions', undefined],
      ['', undefined],
      ['x'.repeat(1000), undefined],
    ];
    for (const [name, id] of cases) assert.equal(versioningFor(name)?.id, id, name);
  });
});
