import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { decodeLine } from '../events/record.ts';
import type { AnyEvent, RuntimeEvent } from '../events/types.ts';
import { falcoJson } from '../outputs/index.ts';
import { createEngine, type EngineOptions } from './engine.ts';
import { bollardDriftRules, upstreamRules } from './upstream.ts';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function events(name: string): { event: AnyEvent; expect?: string }[] {
  return fixture(name)
    .trim()
    .split('\n')
    .flatMap((line) => {
      const r = decodeLine(line);
      if (!r.ok) throw new Error(`${name}: ${r.error}`);
      // Fixture lines name the rule they must fire in an `expectRule` key the decoder ignores.
      const expect = (JSON.parse(line) as { expectRule?: string }).expectRule;
      return r.events.map((event) => (expect ? { event, expect } : { event }));
    });
}

function rules(yaml: string, opts?: EngineOptions) {
  return createEngine([{ path: 'test.yaml', text: yaml }], opts);
}

function ev(over: Partial<RuntimeEvent> = {}): RuntimeEvent {
  return {
    source: 'syscall',
    type: 'execve',
    ts: 1_795_860_000_000_000_000,
    args: {},
    proc: { pid: 10, name: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: ['-c', 'id'], tty: 0 },
    ancestors: [
      { pid: 9, name: 'sshd' },
      { pid: 8, name: 'systemd' },
    ],
    user: { uid: 0, name: 'root' },
    ...over,
  };
}

describe('upstream rules (acceptance 2)', () => {
  test('every rule of falco_rules.yaml loads; the disabled ones are listed with the field they need', () => {
    const e = createEngine([upstreamRules('falco_rules.yaml')]);
    assert.equal(e.rules.length, 25);
    const disabled = e.rules.filter((r) => !r.active).map((r) => [r.name, r.missingFields]);
    assert.deepEqual(disabled, [
      ['Contact K8S API Server From Container', ['fd.sip.name']],
      ['Disallowed SSH Connection Non Standard Port', ['fd.name_changed']],
    ]);
    for (const r of e.rules.filter((x) => !x.active)) assert.match(r.reason ?? '', /needs field .*fd\./);
    // Indexed by event type, as Falco does: no active syscall rule matches every type.
    const types = e.syscallEventTypes();
    assert.ok(types, 'every active rule narrows evt.type');
    for (const t of ['execve', 'openat', 'ptrace', 'symlinkat', 'socket', 'dup2']) assert.ok(types.has(t), t);
    assert.equal(
      e.rules.filter((r) => r.missingOutputFields.length > 0).length,
      0,
      'every %field in outputs is provided',
    );
  });

  test('every rule of k8s_audit_rules.yaml loads and is active', () => {
    const e = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    assert.equal(e.rules.length, 48);
    assert.deepEqual(
      e.rules.filter((r) => !r.active).map((r) => r.name),
      [],
    );
    assert.equal(e.activeCount('k8s_audit'), 48);
  });

  const attacks = events('k8s-audit-attacks.jsonl');
  const benign = events('k8s-audit-benign.jsonl');
  const expected = [
    ['Create Privileged Pod'],
    ['ClusterRole With Wildcard Created', 'K8s ClusterRole Created'],
    ['Attach/Exec Pod'],
    ['Create/Modify Configmap With Private Credentials', 'K8s ConfigMap Created'],
    ['Create NodePort Service', 'K8s Service Created'],
  ];

  test('replayed audit events fire their rule and no other (Falco default: first match)', () => {
    const e = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    assert.deepEqual(
      attacks.map((a) => e.evaluate(a.event).map((x) => x.rule)),
      expected.map((x) => [x[0]]),
    );
    for (const b of benign) assert.deepEqual(e.evaluate(b.event), []);
  });

  test('with every matching rule evaluated, only the attack rules and their INFO activity rules fire', () => {
    const all = createEngine([upstreamRules('k8s_audit_rules.yaml')], { ruleMatching: 'all' });
    assert.deepEqual(
      attacks.map((a) => all.evaluate(a.event).map((x) => x.rule)),
      expected,
    );
    const notice = createEngine([upstreamRules('k8s_audit_rules.yaml')], {
      ruleMatching: 'all',
      minPriority: 'NOTICE',
    });
    assert.deepEqual(
      attacks.map((a) => notice.evaluate(a.event).map((x) => x.rule)),
      expected.map((x) => [x[0]]),
    );
    for (const b of benign) assert.deepEqual(all.evaluate(b.event), []);
  });

  test('outputs render ka.* fields, lists and uri parameters like Falco', () => {
    const e = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    const [priv, , exec, , np] = attacks.map((a) => e.evaluate(a.event)[0]);
    assert.equal(
      priv?.output,
      'Pod started with privileged container (user=kubernetes-admin pod=evil-pod resource=pods ns=default images=(docker.io/library/nginx:1.27,busybox:1.36) init_images=<NA> ephemeral_images=<NA>)',
    );
    assert.equal(exec?.outputFields['ka.uri.param[command]'], '/bin/sh');
    assert.equal(
      np?.outputFields['ka.req.service.ports'],
      '[{"port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]',
    );
    assert.equal(
      priv?.ts,
      Date.parse('2026-11-22T10:00:01.123Z') * 1e6 + 456_000,
      'time from stageTimestamp, microseconds kept',
    );
  });

  test('replayed sensor events fire the expected upstream syscall rule; the benign workload fires none', () => {
    const e = createEngine([upstreamRules('falco_rules.yaml')]);
    for (const a of events('sensor-attacks.jsonl')) {
      const fired = e.evaluate(a.event);
      assert.deepEqual(
        fired.map((x) => x.rule),
        [a.expect],
        `${a.expect}`,
      );
      const f = fired[0]?.outputFields ?? {};
      assert.equal(f['container.id'], '3f2a9c1b7d4e');
      assert.equal(f['container.image.repository'], 'localhost/bollard-test/bookworm');
      assert.equal(f['proc.name'], (a.event as RuntimeEvent).proc.name);
    }
    for (const b of events('sensor-benign.jsonl')) assert.deepEqual(e.evaluate(b.event), [], JSON.stringify(b.event));
  });

  test('the JSON output has exactly Falco keys and value shapes', () => {
    const e = createEngine([upstreamRules('falco_rules.yaml')]);
    const shell = events('sensor-attacks.jsonl')[0] as { event: AnyEvent };
    const [a] = e.evaluate(shell.event);
    assert.ok(a);
    const j = falcoJson(a, 'node-1');
    assert.deepEqual(Object.keys(j).sort(), [
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    assert.equal(j.priority, 'Notice');
    assert.equal(j.source, 'syscall');
    assert.match(String(j.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(
      String(j.output),
      /^\d\d:\d\d:\d\d\.\d{9}: Notice A shell was spawned in a container with an attached terminal \| evt_type=execve user=root user_uid=0 /,
    );
    const of = j.output_fields as Record<string, unknown>;
    assert.equal(typeof of['evt.time'], 'number');
    assert.equal(of['proc.tty'], 34816);
    assert.equal(of['user.uid'], 0);
    assert.equal(of['user.loginuid'], -1);
    assert.equal(of['evt.arg.flags'], '0');
    assert.deepEqual(j.tags, ['maturity_stable', 'container', 'shell', 'mitre_execution', 'T1059']);
  });
});

describe("Bollard's drift rule", () => {
  test('loads next to the upstream rules and fires on bollard.exe_in_image = false only', () => {
    const e = createEngine([upstreamRules('falco_rules.yaml'), bollardDriftRules()], { ruleMatching: 'all' });
    const r = e.rules.find((x) => x.name === 'Executable not shipped in the image');
    assert.equal(r?.active, true);
    const base = ev({
      container: { id: 'abc', imageRepository: 'app' },
      ancestors: [{ pid: 9, name: 'containerd-shim' }],
    });
    const fired = (exeInImage: boolean | undefined) =>
      e
        .evaluate({ ...base, proc: { ...base.proc, name: 'x', ...(exeInImage === undefined ? {} : { exeInImage }) } })
        .map((a) => a.rule);
    assert.ok(fired(false).includes('Executable not shipped in the image'));
    assert.ok(!fired(true).includes('Executable not shipped in the image'));
    assert.ok(!fired(undefined).includes('Executable not shipped in the image'), 'unknown is not "not shipped"');
  });
});

describe('condition language', () => {
  const cases: [string, RuntimeEvent, boolean][] = [
    ['proc.name = bash and not user.uid != 0', ev(), true],
    ['proc.name in (sh, bash) or proc.name = zsh', ev(), true],
    ['proc.name icontains BAS', ev(), true],
    ['proc.name bcontains as', ev(), true],
    ['proc.exepath startswith /usr/ and proc.exepath endswith /bash', ev(), true],
    ['proc.exepath glob "/usr/*/ba?h"', ev(), true],
    ['proc.exepath pmatch (/usr/bin, /opt)', ev(), true],
    ['proc.exepath pmatch (/usr/b)', ev(), false],
    ['proc.aname[1] = sshd and proc.aname[2] = systemd and not proc.aname[3] exists', ev(), true],
    ['proc.aname = systemd', ev(), true],
    ['proc.aname in (init, systemd)', ev(), true],
    ['proc.pname exists and proc.pname = sshd', ev(), true],
    ['user.uid < 1 and user.uid <= 0 and user.uid >= 0 and not user.uid > 0', ev(), true],
    ['tolower(proc.name) = bash and toupper(proc.name) = BASH', ev(), true],
    ['basename(proc.exepath) = bash', ev(), true],
    ['b64(evt.arg.data) = hello', ev({ args: { data: Buffer.from('hello').toString('base64') } }), true],
    ['proc.cmdline = "bash -c id"', ev(), true],
    ['proc.args contains "-c"', ev(), true],
    ['proc.name = val(proc.exe)', ev(), true],
    ['evt.arg.flags contains O_TRUNC', ev({ args: { flags: 'O_WRONLY|O_TRUNC' } }), true],
    ['evt.arg[flags] contains O_TRUNC', ev({ args: { flags: 'O_RDONLY' } }), false],
    ['evt.arg.constructor exists', ev(), false],
    ['fd.name = /etc/shadow', ev(), false],
    ['not fd.name = /etc/shadow', ev(), true],
    [
      'fd.sip = "10.1.2.3" and fd.snet in ("10.0.0.0/8") and fd.net != "127.0.0.0/8"',
      ev({ fd: { type: 'ipv4', sip: '10.1.2.3', cip: '10.9.9.9', sport: 22, cport: 5555 } }),
      true,
    ],
    ['fd.sip in ("2001:db8::/32")', ev({ fd: { type: 'ipv6', sip: '2001:db8::1' } }), true],
    [
      'fd.lport = 5555 and fd.rport = 22 and fd.typechar = 4',
      ev({ fd: { type: 'ipv4', sip: '10.1.2.3', cip: '10.9.9.9', sport: 22, cport: 5555, localIsClient: true } }),
      true,
    ],
    [
      'fd.directory = /etc and fd.filename = shadow and fd.typechar = f',
      ev({ fd: { type: 'file', name: '/etc/shadow', num: 3 } }),
      true,
    ],
    ['container.id = host and container.privileged = true', ev(), false],
    ['container.id != host and container.privileged = true', ev({ container: { id: 'abc', privileged: true } }), true],
    ['evt.res = ENOENT and evt.rawres < 0', ev({ res: -2 }), true],
    ['proc.name in ()', ev(), false],
  ];
  for (const [cond, e, want] of cases) {
    test(`${cond} → ${want}`, () => {
      const eng = rules(`- rule: R\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: o\n  priority: INFO\n`);
      assert.equal(eng.rules[0]?.active, true, eng.rules[0]?.reason);
      assert.equal(eng.evaluate(e).length, want ? 1 : 0);
    });
  }

  test('macros and lists (lists inside lists, quoted items literal) are expanded', () => {
    const e = rules(`
- list: a
  items: [bash]
- list: b
  items: [a, '"a"', zsh]
- macro: shells
  condition: proc.name in (b)
- macro: quoted
  condition: proc.name in ("b")
- rule: R
  desc: d
  condition: shells and not quoted
  output: o
  priority: INFO
`);
    assert.equal(e.evaluate(ev()).length, 1);
    assert.equal(e.evaluate(ev({ proc: { pid: 1, name: 'a' } })).length, 1, 'the quoted "a" is the literal a');
  });
});

describe('append, override, exceptions, enabled', () => {
  const base = `
- list: names
  items: [bash]
- macro: m
  condition: proc.name in (names)
- rule: R
  desc: d
  condition: m
  output: o %proc.name
  priority: WARNING
  tags: [one]
`;
  test('append: true extends lists, macros and rule conditions', () => {
    const e = rules(`${base}
- list: names
  items: [sh]
  append: true
- rule: R
  condition: and user.uid = 0
  append: true
`);
    assert.equal(e.evaluate(ev({ proc: { pid: 1, name: 'sh' } })).length, 1);
    assert.equal(e.evaluate(ev({ user: { uid: 1 } })).length, 0);
  });

  test('override replaces and appends per key', () => {
    const e = rules(`${base}
- rule: R
  condition: and user.uid = 1
  output: replaced %user.uid
  priority: ERROR
  tags: [two]
  override:
    condition: append
    output: replace
    priority: replace
    tags: append
`);
    const [a] = e.evaluate(ev({ user: { uid: 1 } }));
    assert.equal(a?.output, 'replaced 1');
    assert.equal(a?.priority, 'ERROR');
    assert.deepEqual(a?.tags, ['one', 'two']);
  });

  test('exceptions (tuples, single field, list names) suppress matching events', () => {
    const e = rules(`${base}
- list: allowed_parents
  items: [sshd]
- rule: R
  exceptions:
    - name: by_parent_and_uid
      fields: [proc.pname, user.uid]
      comps: [in, =]
      values:
        - [allowed_parents, 0]
    - name: by_exe
      fields: proc.exepath
      values: [/opt/bash]
  override:
    exceptions: append
`);
    assert.equal(e.evaluate(ev()).length, 0, 'parent sshd and uid 0 excepted');
    assert.equal(e.evaluate(ev({ user: { uid: 5 } })).length, 1);
    assert.equal(e.evaluate(ev({ ancestors: [], proc: { pid: 1, name: 'bash', exepath: '/opt/bash' } })).length, 0);
  });

  test('enabled: false disables a rule and says so', () => {
    const e = rules(`${base}\n- rule: R\n  enabled: false\n`);
    assert.equal(e.rules[0]?.active, false);
    assert.match(e.rules[0]?.reason ?? '', /enabled: false/);
    assert.equal(e.evaluate(ev()).length, 0);
  });

  test('--min-priority drops rules below it at load', () => {
    const e = rules(base, { minPriority: 'ERROR' });
    assert.equal(e.rules[0]?.active, false);
    assert.match(e.rules[0]?.reason ?? '', /below the minimum ERROR/);
  });

  test('required_engine_version is checked (integers are the old 0.N.0 numbering)', () => {
    assert.doesNotThrow(() => rules('- required_engine_version: 15\n'));
    assert.throws(
      () => rules('- required_engine_version: 0.99.0\n'),
      expectCode('INPUT_INVALID', /^test\.yaml:1: required_engine_version: rules need engine version 0\.99\.0/),
    );
  });

  test('a rule of an unknown source is disabled and says why', () => {
    const e = rules(
      '- rule: P\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n',
    );
    assert.equal(e.rules[0]?.active, false);
    assert.match(e.rules[0]?.reason ?? '', /source "aws_cloudtrail" is not provided/);
  });
});

describe('malformed rules give file, line and rule name (acceptance 4)', () => {
  const bad: [string, string, RegExp][] = [
    [
      'syntax error',
      '- rule: Bad One\n  desc: d\n  condition: proc.name = bash and (user.uid = 0\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "Bad One": condition: expected '\)' or an operator \(and, or\), got end of condition at offset 34/,
    ],
    [
      'unknown operator word',
      '- rule: R2\n  desc: d\n  condition: proc.name startwith bash\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "R2": condition: expected an operator after field proc.name, got 'startwith' at offset 10/,
    ],
    [
      'undefined macro',
      '- rule: R3\n  desc: d\n  condition: spawned and proc.name = x\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "R3": condition: undefined macro "spawned" at offset 0/,
    ],
    [
      'bad number',
      '- rule: R4\n  desc: d\n  condition: user.uid = root\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "R4": condition: "root" is not a number/,
    ],
    [
      'error inside a macro',
      '- macro: m\n  condition: user.uid > abc\n- rule: R5\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n',
      /^test\.yaml:2: rule "R5" \(in macro "m"\): condition: "abc" is not a number/,
    ],
    [
      'macro syntax',
      '- macro: m\n  condition: (a or\n',
      /^test\.yaml:2: macro "m": condition: expected a field, a macro, "not" or "\(", got end of condition/,
    ],
    [
      'bad priority',
      '- rule: R6\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: LOUD\n',
      /^test\.yaml:5: rule "R6": unknown priority "LOUD"/,
    ],
    [
      'missing condition',
      '- rule: R7\n  desc: d\n  output: o\n  priority: INFO\n',
      /^test\.yaml:1: rule "R7": condition is required/,
    ],
    [
      'append to nothing',
      '- rule: R8\n  condition: and x\n  append: true\n',
      /^test\.yaml:1: rule "R8": append of a rule that is not defined/,
    ],
    ['list items not a list', '- list: l\n  items: bash\n', /^test\.yaml:2: list "l": items must be a list/],
    [
      'item not a mapping',
      '- rule: ok\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n- just a string\n',
      /^test\.yaml:6: item 2: each item must be a mapping/,
    ],
    ['not YAML', '- rule: [unclosed\n', /^test\.yaml:\d+: file: /],
    ['not a list', 'rule: x\n', /^test\.yaml:1: file: a rules file is a YAML list/],
    [
      'macro cycle',
      '- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: R9\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n',
      /macro "a" refers to itself/,
    ],
    [
      'field argument',
      '- rule: R10\n  desc: d\n  condition: proc.aname[x] = bash\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "R10": condition: field proc.aname needs a numeric index, got "x"/,
    ],
    [
      'exception arity',
      '- rule: R11\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, user.uid]\n      values: [[a]]\n',
      /^test\.yaml:7: rule "R11": exception "e": each value must be a list of 2 item\(s\)/,
    ],
    [
      'unterminated string',
      '- rule: R12\n  desc: d\n  condition: proc.name = "bash\n  output: o\n  priority: INFO\n',
      /^test\.yaml:3: rule "R12": condition: unterminated string at offset 12/,
    ],
  ];
  for (const [what, yaml, re] of bad) {
    test(what, () => {
      assert.throws(() => rules(yaml), expectCode('INPUT_INVALID', re));
    });
  }

  test('every error of a file is reported, not only the first', () => {
    try {
      rules(`${bad[0]?.[1]}${bad[2]?.[1]}`);
      assert.fail('should throw');
    } catch (e) {
      assert.match((e as Error).message, /\(and 1 more error\)/);
      const errs = (e as { details?: { errors?: string[] } }).details?.errors ?? [];
      assert.equal(errs.length, 2);
      assert.match(errs[1] ?? '', /^test\.yaml:8: rule "R3"/);
    }
  });

  test('hostile conditions are bounded: deep nesting and huge text are refused, not crashed on', () => {
    const deep = `${'('.repeat(5000)}proc.name = x${')'.repeat(5000)}`;
    assert.throws(
      () => rules(`- rule: Deep\n  desc: d\n  condition: "${deep}"\n  output: o\n  priority: INFO\n`),
      expectCode('INPUT_INVALID', /rule "Deep": condition: condition nests deeper than 200 levels/),
    );
  });

  test('an event that makes a field throw is counted and skipped, never crashes evaluation', () => {
    const e = rules('- rule: R\n  desc: d\n  condition: proc.args contains x\n  output: o\n  priority: INFO\n');
    const hostile = ev({ proc: { pid: 1, name: 'x', args: 5 as unknown as string[] } });
    assert.deepEqual(e.evaluate(hostile), []);
    assert.equal(e.evalErrors, 1);
    assert.equal(e.evaluate(ev({ proc: { pid: 1, name: 'x', args: ['x'] } })).length, 1);
  });
});
