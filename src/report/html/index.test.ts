import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, hostileReport, noDbReport } from '../__fixtures__/report.ts';
import { htmlEscape, writeHtml } from './index.ts';

const ALLOWED = new Set(
  'html head meta title style body h1 h2 h3 p dl dt dd div b span table thead tbody tr th td a code script'.split(' '),
);

function tags(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => (m[1] ?? '').toLowerCase());
}

describe('HTML writer', () => {
  test('golden output', () => {
    assertGolden('report.html', writeHtml(goldenReport()));
  });

  test('self-contained: no external URL is loaded, one inline script allowed by its CSP hash', () => {
    const html = writeHtml(goldenReport());
    assert.doesNotMatch(html, /<(link|img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /\bsrc=/i);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    const hash = createHash('sha256')
      .update(scripts[0]?.[1] ?? '')
      .digest('base64');
    assert.ok(html.includes(`script-src 'sha256-${hash}'`), 'CSP names the script hash');
    assert.match(html, /default-src 'none'/);
  });

  test('summary cards, DB, findings, suppressed section and coverage are there', () => {
    const html = writeHtml(goldenReport());
    assert.match(html, /<div class="card CRITICAL"><b>1<\/b>CRITICAL<\/div>/);
    assert.match(html, /<div class="card HIGH"><b>3<\/b>HIGH<\/div>/);
    assert.match(html, /DB built 2026-11-20, 14 h old/);
    assert.match(html, /<h2>Suppressed \(3\)<\/h2>/);
    assert.match(html, /no files: not evaluated/);
    assert.match(html, /Expired ignore entries/);
    assert.ok(html.indexOf('CVE-2023-4911') < html.indexOf('CVE-2023-6246'), 'risk order');
  });

  test('no database: a banner says not evaluated', () => {
    const html = writeHtml(noDbReport());
    assert.match(html, /class="banner">Vulnerabilities not evaluated: no vulnerability database/);
    assert.doesNotMatch(html, /<table class="sortable"><thead><tr><th>Package<\/th>/);
  });

  test('hostile strings: only the writer’s own tags appear, links only for http(s)', () => {
    const html = writeHtml(hostileReport());
    const bad = tags(html).filter((t) => !ALLOWED.has(t));
    assert.deepEqual(bad, []);
    assert.equal(tags(html).filter((t) => t === 'script').length, 2, 'one <script> and its </script>');
    assert.doesNotMatch(html, /href="javascript:/i);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;pkg&quot;)&lt;/script&gt;&amp;amp;red'));
    assert.equal(htmlEscape(`<a href='x'>&\u0000`), '&lt;a href=&#39;x&#39;&gt;&amp;');
  });
});
