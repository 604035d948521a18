import assert from 'node:assert/strict';
import { isBollardError } from '../../src/util/errors.ts';

/** An `assert.rejects`/`assert.throws` validator: a BollardError with this code (and message pattern). */
export function expectCode(code: string, pattern?: RegExp): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(isBollardError(e), `expected a BollardError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}
