import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/*
 * Validators for the report tests: SARIF 2.1.0 against the OASIS schema vendored in
 * test/schemas/sarif-2.1.0.json, and the JSON report against docs/report-schema.json (2020-12).
 */

const root = join(import.meta.dirname, '..', '..', '..');

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

let sarif: ValidateFunction | undefined;

/**
 * Validate a parsed SARIF log. The schema is draft-04, which Ajv 8 does not load: its only draft-04
 * specific keyword is `id` (now `$id`), so it is compiled with that renamed and `$schema` dropped; every
 * other keyword it uses means the same in draft-07.
 */
export function validateSarif210(doc: unknown): SchemaResult {
  if (!sarif) {
    const { $schema: _s, id, ...rest } = loadJson(join(root, 'test', 'schemas', 'sarif-2.1.0.json'));
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
    report = ajv.compile(loadJson(join(root, 'docs', 'report-schema.json')));
  }
  return run(report, doc);
}
