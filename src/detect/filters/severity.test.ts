import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { finding } from './__fixtures__/findings.ts';
import { filterBySeverity, parseSeverities } from './severity.ts';

test('parseSeverities: comma lists, any case, repeated flags, canonical order without duplicates', () => {
  assert.deepEqual(parseSeverities('HIGH,CRITICAL'), ['CRITICAL', 'HIGH']);
  assert.deepEqual(parseSeverities(' low , High,high'), ['HIGH', 'LOW']);
  assert.deepEqual(parseSeverities(['medium', 'unknown,critical']), ['CRITICAL', 'MEDIUM', 'UNKNOWN']);
});

test('parseSeverities: one USAGE error naming every unknown word and the valid ones', () => {
  assert.throws(() => parseSeverities('HIGH,severe,crit'), expectCode('USAGE', /"severe", "crit".*CRITICAL, HIGH/));
  assert.throws(() => parseSeverities(' , '), expectCode('USAGE', /at least one/));
});

test('filterBySeverity keeps only the listed severities; an empty list keeps all', () => {
  const fs = [finding({ severity: 'LOW' }), finding({ severity: 'CRITICAL' }), finding({ severity: 'UNKNOWN' })];
  assert.deepEqual(
    filterBySeverity(fs, ['CRITICAL', 'UNKNOWN']).map((f) => f.severity),
    ['CRITICAL', 'UNKNOWN'],
  );
  assert.equal(filterBySeverity(fs, []).length, 3);
});
