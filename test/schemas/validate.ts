import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/*
 * Schema validators for the SBOM and report tests: CycloneDX 1.6 against the schema files that
 * @cyclonedx/cyclonedx-library bundles (res/schema, with the spdx and jsf schemas it references),
 * SPDX 2.3 and SARIF 2.1.0 against the official schemas vendored next to this file (see README.md),
 * and the JSON report against docs/report-schema.json (2020-12).
 */

const require = createRequire(import.meta.url);
// ajv-formats-draft2019 ships no types: declare the one call we make.
const addDraft2019Formats = require('ajv-formats-draft2019') as (ajv: Ajv | Ajv2019) => void;

function loadJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export interface SchemaResult {
  valid: boolean;
  errors: string[];
}

function run(validate: ValidateFunction, doc: unknown): SchemaResult {
  const valid = validate(doc);
  const errors = (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
  return { valid, errors };
}

let cdx: ValidateFunction | undefined;

/** Validate a parsed CycloneDX 1.6 JSON document. */
export function validateCycloneDx16(doc: unknown): SchemaResult {
  if (!cdx) {
    const dir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      // The bom schema refers to these by file name, relative to its $id.
      schemas: {
        'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': loadJson(join(dir, 'spdx.SNAPSHOT.schema.json')),
        'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': loadJson(
          join(dir, 'jsf-0.82.SNAPSHOT.schema.json'),
        ),
        'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': loadJson(
          join(dir, 'cryptography-defs.SNAPSHOT.schema.json'),
        ),
      },
    });
    addFormats.default(ajv);
    addDraft2019Formats(ajv);
    cdx = ajv.compile(loadJson(join(dir, 'bom-1.6.SNAPSHOT.schema.json')));
  }
  return run(cdx, doc);
}

let spdx: ValidateFunction | undefined;

/** Validate a parsed SPDX 2.3 JSON document. */
export function validateSpdx23(doc: unknown): SchemaResult {
  if (!spdx) {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats.default(ajv);
    spdx = ajv.compile(loadJson(join(import.meta.dirname, 'spdx-2.3.schema.json')));
  }
  return run(spdx, doc);
}

let sarif: ValidateFunction | undefined;

/**
 * Validate a parsed SARIF log. The schema is draft-04, which Ajv 8 does not load: its only draft-04
 * specific keyword is `id` (now `$id`), so it is compiled with that renamed and `$schema` dropped; every
 * other keyword it uses means the same in draft-07.
 */
export function validateSarif210(doc: unknown): SchemaResult {
  if (!sarif) {
    const { $schema: _s, id, ...rest } = loadJson(join(import.meta.dirname, 'sarif-2.1.0.json'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    sarif = ajv.compile({ ...rest, $id: String(id) });
  }
  return run(sarif, doc);
}

let report: ValidateFunction | undefined;

/** Validate a parsed JSON report against docs/report-schema.json. */
export function validateReportSchema(doc: unknown): SchemaResult {
  if (!report) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    report = ajv.compile(loadJson(join(import.meta.dirname, '..', '..', 'docs', 'report-schema.json')));
  }
  return run(report, doc);
}
