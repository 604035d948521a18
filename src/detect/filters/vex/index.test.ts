import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expectCode } from '../../../../test/helpers/errors.ts';
import { parsePurl } from '../../../artifact/sbom/purl-parse.ts';
import { finding, LODASH, OPENSSL } from '../__fixtures__/findings.ts';
import { decidingStatement, loadVex, parseVex, suppresses } from './index.ts';

const fixture = (name: string): string => join(import.meta.dirname, '__fixtures__', name);
const IMAGE = parsePurl('pkg:oci/app@sha256%3Aabc?arch=amd64&repository_url=registry.example/app&tag=1.0')!;

describe('OpenVEX', () => {
  const doc = loadVex(fixture('openvex.json'));

  test('statements are read with ids, aliases, products, subcomponents and timestamps', () => {
    assert.equal(doc.format, 'openvex');
    assert.equal(doc.statements.length, 5);
    const s0 = doc.statements[0]!;
    assert.deepEqual(s0.vulnIds, ['CVE-2024-0001', 'GHSA-XXXX-YYYY-ZZZZ']);
    assert.equal(s0.products[0]?.subcomponents.length, 1);
    assert.equal(s0.timestamp, Date.parse('2026-11-01T10:00:00Z'));
    // An IRI @id contributes the CVE it names.
    assert.ok(doc.statements[1]?.vulnIds.includes('CVE-2024-0002'));
    assert.deepEqual(doc.warnings, []);
  });

  test('a subcomponent applies inside its product: the scanned image must be the product', () => {
    const f = finding({ package: OPENSSL });
    const d = decidingStatement(f, [doc], { targets: [IMAGE] });
    assert.equal(d?.statement.status, 'not_affected');
    assert.equal(d?.statement.justification, 'vulnerable_code_not_in_execute_path');
    assert.equal(d?.file, fixture('openvex.json'));
    // Another image, or no known image: the statement does not apply.
    const other = parsePurl('pkg:oci/other@sha256%3Aabc?repository_url=registry.example/other')!;
    assert.equal(decidingStatement(f, [doc], { targets: [other] }), undefined);
    assert.equal(decidingStatement(f, [doc]), undefined);
    // Another package in the same image: no.
    assert.equal(decidingStatement(finding({}), [doc], { targets: [IMAGE] }), undefined);
  });

  test('aliases: a finding recorded under the GHSA id matches a statement naming it as an alias', () => {
    const f = finding({ id: 'GHSA-xxxx-yyyy-zzzz', aliases: [], cve: undefined, package: OPENSSL });
    assert.equal(decidingStatement(f, [doc], { targets: [IMAGE] })?.statement.status, 'not_affected');
  });

  test('product purls: version must match when given; pattern qualifiers must be on the package', () => {
    const lodash = finding({ id: 'CVE-2024-0002', cve: 'CVE-2024-0002', package: LODASH });
    assert.equal(decidingStatement(lodash, [doc])?.statement.status, 'fixed');
    const newer = finding({
      id: 'CVE-2024-0002',
      cve: 'CVE-2024-0002',
      package: { ...LODASH, version: '4.17.21', purl: 'pkg:npm/lodash@4.17.21' },
    });
    assert.equal(decidingStatement(newer, [doc]), undefined);
    const tar = (arch: string) =>
      finding({
        id: 'CVE-2024-0004',
        cve: 'CVE-2024-0004',
        package: { name: 'tar', purl: `pkg:deb/debian/tar@1.34?arch=${arch}` },
      });
    assert.equal(decidingStatement(tar('amd64'), [doc]), undefined);
    assert.equal(decidingStatement(tar('arm64'), [doc])?.statement.status, 'not_affected');
  });

  test('a later statement overrides an earlier one for the same vulnerability and product', () => {
    const zlib = finding({
      id: 'CVE-2024-0003',
      cve: 'CVE-2024-0003',
      package: { name: 'zlib1g', purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64' },
    });
    const d = decidingStatement(zlib, [doc]);
    assert.equal(d?.statement.status, 'affected');
    assert.equal(d?.statement.actionStatement, 'upgrade to 1:1.2.13.dfsg-1+deb12u1');
    assert.equal(suppresses('affected'), false);
    // Across documents: a later document with the same timestamp wins, and a newer statement wins over document order.
    const later = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          {
            vulnerability: { name: 'CVE-2024-0003' },
            products: [{ '@id': 'pkg:deb/debian/zlib1g' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_present',
            timestamp: '2026-11-04T00:00:00Z',
          },
        ],
      }),
      'later.json',
    );
    assert.equal(decidingStatement(zlib, [doc, later])?.statement.status, 'not_affected');
    assert.equal(decidingStatement(zlib, [later, doc])?.statement.status, 'not_affected');
  });

  test('OpenVEX 0.0.x shapes: string vulnerability and products, statement-level subcomponents', () => {
    const old = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns',
        timestamp: '2023-01-01T00:00:00Z',
        statements: [
          {
            vulnerability: 'CVE-2024-0001',
            products: ['pkg:oci/app'],
            subcomponents: ['pkg:deb/debian/openssl'],
            status: 'not_affected',
            justification: 'component_not_present',
          },
        ],
      }),
      'old.json',
    );
    assert.equal(
      decidingStatement(finding({ package: OPENSSL }), [old], { targets: [IMAGE] })?.statement.status,
      'not_affected',
    );
  });

  test('not_affected without justification is read but warned about', () => {
    const d = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'cpe:/a:x:y' }], status: 'not_affected' }],
      }),
      'w.json',
    );
    assert.deepEqual(
      d.warnings.map((w) => w.code),
      ['VEX_NO_JUSTIFICATION', 'VEX_PRODUCT_NOT_PURL'],
    );
  });
});

describe('CycloneDX VEX', () => {
  const doc = loadVex(fixture('cyclonedx-vex.json'));

  test('bom-refs resolve through the document components (nested ones too); states map onto VEX statuses', () => {
    assert.equal(doc.format, 'cyclonedx');
    const d = decidingStatement(finding({ package: OPENSSL }), [doc]);
    assert.equal(d?.statement.status, 'not_affected');
    assert.equal(d?.statement.rawStatus, 'not_affected');
    assert.equal(d?.statement.justification, 'code_not_reachable');
    assert.equal(d?.statement.impactStatement, 'never called');
    // Versioned purl behind the bom-ref: another version is not covered.
    const other = finding({ package: { ...OPENSSL, purl: 'pkg:deb/debian/openssl@3.0.14-1~deb12u1?arch=amd64' } });
    assert.equal(decidingStatement(other, [doc]), undefined);
  });

  test('false_positive via a reference alias, a purl used directly as ref', () => {
    const f = finding({ id: 'CVE-2024-0005', aliases: [], cve: 'CVE-2024-0005', package: LODASH });
    const d = decidingStatement(f, [doc]);
    assert.equal(d?.statement.rawStatus, 'false_positive');
    assert.equal(d?.statement.status, 'not_affected');
  });

  test('resolved through a BOM-Link; exploitable and in_triage do not suppress', () => {
    const resolved = decidingStatement(finding({ id: 'CVE-2024-0006', cve: 'CVE-2024-0006', package: OPENSSL }), [doc]);
    assert.equal(resolved?.statement.status, 'fixed');
    assert.equal(resolved?.statement.actionStatement, 'update');
    assert.equal(suppresses('fixed'), true);
    const exploitable = decidingStatement(finding({ id: 'CVE-2024-0007', cve: 'CVE-2024-0007', package: OPENSSL }), [
      doc,
    ]);
    assert.equal(exploitable?.statement.status, 'affected');
    assert.equal(suppresses('under_investigation'), false);
  });

  test('unresolvable refs and vulnerabilities without analysis are counted, not fatal', () => {
    const counts = Object.fromEntries(doc.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(counts, { VEX_UNRESOLVED_REF: 1, VEX_NO_ANALYSIS: 1 });
    assert.equal(doc.statements.length, 5);
  });
});

describe('malformed and hostile VEX documents', () => {
  const bad =
    (v: unknown): (() => void) =>
    () =>
      parseVex(typeof v === 'string' ? v : JSON.stringify(v), 'bad.json');
  const ctx = 'https://openvex.dev/ns/v0.2.0';
  test('clear INPUT_INVALID errors', () => {
    assert.throws(bad('not json'), expectCode('INPUT_INVALID', /not JSON/));
    assert.throws(bad({ hello: 'world' }), expectCode('INPUT_INVALID', /neither an OpenVEX nor a CycloneDX VEX/));
    assert.throws(bad([1, 2]), expectCode('INPUT_INVALID'));
    assert.throws(bad({ '@context': ctx }), expectCode('INPUT_INVALID', /no "statements"/));
    assert.throws(bad({ '@context': ctx, statements: {} }), expectCode('INPUT_INVALID', /must be a list/));
    assert.throws(
      bad({
        '@context': ctx,
        statements: [{ vulnerability: { name: 'CVE-1' }, products: ['pkg:npm/a'], status: 'maybe' }],
      }),
      expectCode('INPUT_INVALID', /statement 1: unknown status "maybe"/),
    );
    assert.throws(
      bad({ '@context': ctx, statements: [{ vulnerability: {}, products: ['pkg:npm/a'], status: 'fixed' }] }),
      expectCode('INPUT_INVALID', /no vulnerability name/),
    );
    assert.throws(
      bad({ '@context': ctx, statements: [{ vulnerability: 'CVE-1', status: 'fixed' }] }),
      expectCode('INPUT_INVALID', /names no products/),
    );
    assert.throws(
      bad({ '@context': ctx, statements: [{ vulnerability: 'CVE-1', products: [42], status: 'fixed' }] }),
      expectCode('INPUT_INVALID', /product must be/),
    );
    assert.throws(
      bad({
        bomFormat: 'CycloneDX',
        vulnerabilities: [{ id: 'CVE-1', analysis: { state: 'ok' }, affects: [{ ref: 'x' }] }],
      }),
      expectCode('INPUT_INVALID', /unknown analysis.state "ok"/),
    );
    assert.throws(
      bad({
        bomFormat: 'CycloneDX',
        vulnerabilities: [{ id: 'CVE-1', analysis: { state: 'resolved' }, affects: [{}] }],
      }),
      expectCode('INPUT_INVALID', /no ref/),
    );
    assert.throws(() => loadVex('/nonexistent/vex.json'), expectCode('TARGET_NOT_FOUND'));
  });

  test('size, depth and count limits', () => {
    assert.throws(bad(`{"statements":${'['.repeat(100)}${']'.repeat(100)}}`), expectCode('LIMIT_EXCEEDED'));
    assert.throws(
      () => parseVex(JSON.stringify({ statements: [], pad: 'x'.repeat(200) }), 'x', { maxBytes: 100 }),
      expectCode('LIMIT_EXCEEDED'),
    );
    const many = {
      '@context': ctx,
      statements: Array.from({ length: 11 }, () => ({
        vulnerability: 'CVE-1',
        products: ['pkg:npm/a'],
        status: 'fixed',
      })),
    };
    assert.throws(() => parseVex(JSON.stringify(many), 'x', { maxStatements: 10 }), expectCode('LIMIT_EXCEEDED'));
  });

  test('a finding without a purl is never matched', () => {
    const doc = parseVex(
      JSON.stringify({
        '@context': ctx,
        statements: [{ vulnerability: 'CVE-2024-0001', products: ['pkg:deb/debian/libssl3'], status: 'fixed' }],
      }),
      'x',
    );
    assert.equal(decidingStatement(finding({ package: { purl: undefined } }), [doc]), undefined);
    assert.equal(decidingStatement(finding({}), [doc])?.statement.status, 'fixed');
  });
});
