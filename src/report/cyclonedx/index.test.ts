import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateCycloneDx16 } from '../../../test/schemas/validate.ts';
import { writeCycloneDx } from '../../sbom/cyclonedx/index.ts';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, hostileReport, noDbReport, reportInventory } from '../__fixtures__/report.ts';
import { writeCycloneDxReport } from './index.ts';

interface Prop {
  name: string;
  value: string;
}
interface CdxVuln {
  'bom-ref': string;
  id: string;
  source: { name: string; url?: string };
  ratings: { score?: number; severity?: string; method?: string; vector?: string }[];
  cwes?: number[];
  affects: { ref: string; versions?: { version: string; status: string }[] }[];
  analysis?: { state?: string; justification?: string; response?: string[]; detail?: string };
  properties?: Prop[];
  recommendation?: string;
  advisories?: { url: string }[];
}
interface CdxBom {
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: { 'bom-ref': string } };
  components: { 'bom-ref': string; name: string }[];
  vulnerabilities: CdxVuln[];
}

function assertValid(text: string, what: string): void {
  const r = validateCycloneDx16(JSON.parse(text));
  assert.ok(r.valid, `${what}: ${r.errors.slice(0, 5).join('; ')}`);
}

const prop = (v: CdxVuln, name: string): string | undefined => v.properties?.find((p) => p.name === name)?.value;

describe('CycloneDX report writer', () => {
  const write = (): string => writeCycloneDxReport(goldenReport(), { color: false, inventory: reportInventory() });

  test('golden output, valid against the CycloneDX 1.6 schema', () => {
    const text = write();
    assertGolden('report.cdx.json', text);
    assertValid(text, 'golden');
  });

  test('the same components and refs as `bollard sbom` for the same inventory', () => {
    const bom = JSON.parse(write()) as CdxBom;
    const sbom = JSON.parse(writeCycloneDx(reportInventory())) as CdxBom;
    assert.deepEqual(
      bom.components.map((c) => c['bom-ref']),
      sbom.components.map((c) => c['bom-ref']),
    );
    assert.equal(bom.metadata.component['bom-ref'], sbom.metadata.component['bom-ref']);
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.timestamp, '2026-11-20T22:00:00.000Z');
  });

  test('vulnerabilities: affects the component, ratings with CVSS method and vector, cwes, properties', () => {
    const bom = JSON.parse(write()) as CdxBom;
    assert.equal(bom.vulnerabilities.length, 10);
    const refs = new Set(bom.components.map((c) => c['bom-ref']));
    for (const v of bom.vulnerabilities) for (const a of v.affects) assert.ok(refs.has(a.ref), `dangling ${a.ref}`);
    const kev = bom.vulnerabilities.find((v) => v.id === 'CVE-2023-4911');
    assert.ok(kev);
    assert.equal(kev.affects[0]?.ref, 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12');
    assert.deepEqual(kev.affects[0]?.versions, [{ version: '2.36-9+deb12u1', status: 'affected' }]);
    assert.deepEqual(kev.ratings[0], {
      source: { name: 'osv:Debian' },
      score: 7.8,
      severity: 'high',
      method: 'CVSSv31',
      vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
    });
    assert.deepEqual(kev.cwes, [787, 122]);
    assert.equal(prop(kev, 'bollard:kev:dueDate'), '2023-12-12');
    assert.equal(prop(kev, 'bollard:epss:score'), '0.8512');
    assert.equal(prop(kev, 'bollard:risk'), '92.4');
    assert.equal(kev.recommendation, 'Upgrade libc6 to 2.36-9+deb12u3 or later.');
    assert.equal(kev.source.url, 'https://nvd.nist.gov/vuln/detail/CVE-2023-4911');
  });

  test('VEX-suppressed findings carry an analysis; ignore-file ones and will_not_fix are marked', () => {
    const bom = JSON.parse(write()) as CdxBom;
    const vex = bom.vulnerabilities.find((v) => v.id === 'CVE-2024-2961');
    assert.deepEqual(vex?.analysis?.state, 'not_affected');
    assert.equal(vex?.analysis?.justification, 'code_not_reachable');
    assert.equal(vex?.affects[0]?.versions?.[0]?.status, 'unaffected');
    const ignored = bom.vulnerabilities.find((v) => v.id === 'CVE-2022-4899');
    assert.equal(ignored?.analysis, undefined);
    assert.equal(ignored && prop(ignored, 'bollard:suppressed:by'), 'ignorefile');
    const wnf = bom.vulnerabilities.find((v) => v.id === 'CVE-2023-45853');
    assert.deepEqual(wnf?.analysis?.response, ['will_not_fix']);
  });

  test('without an inventory, without a database and with hostile strings: still valid, refs resolve', () => {
    for (const [what, text] of [
      ['no inventory', writeCycloneDxReport(goldenReport(), { color: false })],
      ['no db', writeCycloneDxReport(noDbReport(), { color: false, inventory: reportInventory() })],
      ['hostile', writeCycloneDxReport(hostileReport(), { color: false })],
    ] as const) {
      assertValid(text, what);
      const bom = JSON.parse(text) as CdxBom;
      const refs = new Set([bom.metadata.component['bom-ref'], ...bom.components.map((c) => c['bom-ref'])]);
      for (const v of bom.vulnerabilities ?? [])
        for (const a of v.affects) assert.ok(refs.has(a.ref), `${what}: ${a.ref}`);
    }
  });

  test('serial number: stable for one report, different for another', () => {
    const a = JSON.parse(write()) as CdxBom;
    const b = JSON.parse(writeCycloneDxReport(noDbReport(), { color: false, inventory: reportInventory() })) as CdxBom;
    assert.match(a.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.serialNumber, b.serialNumber);
  });
});
