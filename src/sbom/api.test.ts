import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateCycloneDx16, validateSpdx23 } from '../../test/schemas/validate.ts';
import { debianImageInventory, emptyRootfsInventory } from './__fixtures__/inventories.ts';
import { findSbomFormat, sbomFormatNames, sbomFormats } from './api.ts';

const FIXED = { now: () => new Date('2026-11-22T12:34:56Z'), uuid: () => '3f0c8a52-6d1e-4c7b-9a0f-5b2d7e9c1a44' };

/** The schema each registered format is checked against. */
const SCHEMAS: Record<string, (doc: unknown) => { valid: boolean; errors: string[] }> = {
  cyclonedx: validateCycloneDx16,
  'spdx-json': validateSpdx23,
};

describe('SBOM format registry', () => {
  test('ids and aliases, case-insensitive; unknown names are undefined', () => {
    assert.deepEqual(sbomFormatNames(), ['cyclonedx', 'spdx-json', 'cdx', 'cyclonedx-json', 'spdx']);
    for (const name of ['cyclonedx', 'cdx', 'CycloneDX-JSON', ' CDX '])
      assert.equal(findSbomFormat(name)?.id, 'cyclonedx', name);
    for (const name of ['spdx-json', 'spdx', 'SPDX']) assert.equal(findSbomFormat(name)?.id, 'spdx-json', name);
    for (const name of ['', 'spdx-tag', 'json', 'cyclonedx-xml']) assert.equal(findSbomFormat(name), undefined, name);
  });

  test('every format writes a schema-valid, newline-terminated document for an image and an empty directory', () => {
    for (const format of sbomFormats) {
      const validate = SCHEMAS[format.id];
      assert.ok(validate, `no schema for ${format.id}`);
      assert.ok(format.mediaType.includes('json') && format.fileExtension.endsWith('.json'), format.id);
      for (const inv of [debianImageInventory(), emptyRootfsInventory()]) {
        const text = format.write(inv, FIXED);
        assert.ok(text.endsWith('}\n'), format.id);
        const r = validate(JSON.parse(text));
        assert.ok(r.valid, `${format.id}: ${r.errors.join('; ')}`);
        assert.equal(format.write(inv, FIXED), text, `${format.id} is not deterministic`);
      }
    }
  });
});
