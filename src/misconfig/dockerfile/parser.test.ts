import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { checkDockerfile } from './index.ts';
import { parseDockerfile, substitute } from './parser.ts';

const fixture = (name: string): string => readFileSync(new URL(`__fixtures__/${name}`, import.meta.url), 'utf8');

describe('Dockerfile parser', () => {
  test('continuations (with comment and blank lines inside) keep exact start and end lines', () => {
    const df = parseDockerfile(fixture('continuations.Dockerfile'));
    const lines = df.instructions.map((i) => [i.keyword, i.startLine, i.endLine]);
    assert.deepEqual(lines, [
      ['ARG', 3, 3],
      ['FROM', 4, 4],
      ['RUN', 6, 12],
      ['ENV', 13, 14],
      ['COPY', 16, 16],
      ['RUN', 18, 22],
      ['RUN', 23, 27],
      ['USER', 28, 28],
      ['CMD', 29, 29],
    ]);
    assert.equal(df.directives.syntax, 'docker/dockerfile:1');
    const run = df.instructions[2]!;
    assert.match(run.args, /^apt-get update\s+&& apt-get install -y --no-install-recommends\s+curl=7\.88\.1-10\s+git/);
    assert.doesNotMatch(run.args, /comment inside/);
  });

  test('heredocs: several per instruction, <<- strips tabs, quoted delimiters', () => {
    const df = parseDockerfile(fixture('continuations.Dockerfile'));
    const h = df.instructions[5]!;
    assert.deepEqual(
      h.heredocs.map((x) => [x.name, x.stripTabs, x.quoted, x.startLine, x.endLine, x.body]),
      [['EOT', true, false, 19, 22, 'set -e\necho "$HOME"\napt-get install -y vim']],
    );
    const two = df.instructions[6]!;
    assert.deepEqual(
      two.heredocs.map((x) => [x.name, x.quoted, x.body]),
      [
        ['A', true, 'one'],
        ['B', false, 'two'],
      ],
    );
  });

  test('findings carry the lines of the whole instruction, continuations included', () => {
    const r = checkDockerfile(fixture('continuations.Dockerfile'), 'Dockerfile');
    const f = (r.misconfigurations ?? []).filter((x) => x.status === 'failed');
    const dl3009 = f.find((x) => x.checkId === 'BD-DF-3009');
    assert.deepEqual([dl3009?.startLine, dl3009?.endLine], [6, 12]);
    const dl3008 = f.filter((x) => x.checkId === 'BD-DF-3008');
    assert.deepEqual(
      dl3008.map((x) => [x.startLine, x.endLine, x.message]),
      [
        [6, 12, 'apt-get install without pinned versions: git'],
        [18, 22, 'apt-get install without pinned versions: vim'],
      ],
    );
    const secret = f.find((x) => x.checkId === 'BD-DF-002');
    assert.deepEqual([secret?.startLine, secret?.endLine], [13, 14]);
  });

  test('the escape directive switches continuations to backticks', () => {
    const text =
      '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n    c:\\ `\n    && echo done\nWORKDIR C:\\app\n';
    const df = parseDockerfile(text);
    assert.equal(df.directives.escape, '`');
    assert.deepEqual(
      df.instructions.map((i) => [i.keyword, i.startLine, i.endLine]),
      [
        ['FROM', 2, 2],
        ['RUN', 3, 5],
        ['WORKDIR', 6, 6],
      ],
    );
    assert.match(df.instructions[1]!.args, /dir\s+c:\\\s+&& echo done/);
  });

  test('directives are only read at the very top', () => {
    const df = parseDockerfile('FROM a:1\n# escape=`\nRUN a \\\n  b\n');
    assert.equal(df.directives.escape, '\\');
    assert.equal(df.instructions[1]!.endLine, 4);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
  test('ARG/ENV substitution: global ARGs in FROM, ${VAR:-default}, ${VAR:+x}, stage scoping', () => {
    const df = parseDockerfile(
      [
        'ARG REG=docker.io',
        'ARG TAG',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
        'FROM ${REG}/library/debian:${TAG:-12} AS base',
        'ARG TAG',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
        'ENV APP=/srv/app EXTRA=${TAG:+set}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
        'WORKDIR ${APP}/bin',
        'FROM base',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
        'USER ${MISSING}',
        'WORKDIR $APP',
      ].join('\n'),
    );
    assert.equal(df.stages[0]?.imageExpanded, 'docker.io/library/debian:12');
    assert.equal(df.stages[0]?.name, 'base');
    assert.equal(df.instructions[5]?.expanded, '/srv/app/bin');
    assert.equal(df.stages[1]?.parentStage, 0);
    assert.equal(df.instructions[7]?.unresolved, true);
    // ENV is inherited by a stage built on another stage
    assert.equal(df.instructions[8]?.expanded, '/srv/app');
    const vars = new Map<string, string | undefined>([
      ['A', 'x'],
      ['E', ''],
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
    assert.equal(substitute('${A:-d} ${E:-d} ${E-d} ${U-d} ${A:+y} ${E:+y} ${E+y} \\$A', vars).value, 'x d  d y  y $A');
  });

  test('COPY --from and flags are parsed, exec form is recognised', () => {
    const df = parseDockerfile('FROM a:1 AS build\nFROM b:1\nCOPY --from=build --chown=1:1 /a /b\nCMD ["x", "y"]\n');
    assert.deepEqual(df.instructions[2]?.flags, [
      { name: 'from', value: 'build' },
      { name: 'chown', value: '1:1' },
    ]);
    assert.deepEqual(df.instructions[3]?.json, ['x', 'y']);
  });

  test('hostile input is refused within bounds', () => {
    assert.throws(
      () => parseDockerfile('FROM a\nRUN <<EOF\nnever ends\n'),
      expectCode('INPUT_INVALID', /not terminated/),
    );
    assert.throws(() => parseDockerfile('x'.repeat(100), { maxBytes: 10 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseDockerfile('RUN a\n'.repeat(50), { maxInstructions: 10 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseDockerfile('FROM a\n$$$ bad\n'), expectCode('INPUT_INVALID', /line 2/));
    // a long continuation chain is one instruction with exact lines
    const long = parseDockerfile(`FROM a:1\nRUN echo \\\n${'  a \\\n'.repeat(10_000)}  end\n`);
    assert.deepEqual([long.instructions[1]?.startLine, long.instructions[1]?.endLine], [2, 10_003]);
  });
});
