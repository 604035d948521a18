/**
 * Checks over the instructions themselves: base images, users, COPY/ADD, CMD/ENTRYPOINT form,
 * stage references, labels, instruction order. DL codes follow hadolint.
 */
import type { Violation } from '../types.ts';
import { skipped } from '../types.ts';
import {
  at,
  type DockerfileCheck,
  dfCheck,
  finalStage,
  isRootUser,
  type LabelType,
  splitImage,
  stageChain,
} from './context.ts';
import type { Dockerfile, Instruction, Stage } from './parser.ts';
import { parseKeyValues, splitWords, substitute } from './parser.ts';
import { dlMeta } from './rules-run.ts';

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|tar\.lz|tar\.lzma|tlz|gz|bz2|xz|zst)$/i;
const URL = /^(https?|git|ssh):\/\//i;

function isAbsolutePath(p: string): boolean {
  const s = p.replace(/^["']|["']$/g, '');
  return s.startsWith('/') || s.startsWith('$') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\');
}

/** Sources and destination of COPY/ADD (exec or shell form). */
function copyArgs(inst: Instruction): { sources: string[]; dest: string } {
  const words = inst.json ?? splitWords(inst.expanded ?? inst.args);
  const heredocNames = new Set(inst.heredocs.map((h) => h.name));
  const filtered = words.filter((w) => !/^<<-?["']?[A-Za-z_]/.test(w) || !heredocNames.size);
  return { sources: filtered.slice(0, -1), dest: filtered[filtered.length - 1] ?? '' };
}

function stageByRef(df: Dockerfile, ref: string, before: number): Stage | undefined {
  const lower = ref.toLowerCase();
  if (/^\d+$/.test(ref)) {
    const n = Number(ref);
    return n < before ? df.stages[n] : undefined;
  }
  return df.stages.find((s) => s.index < before && s.name === lower);
}

/** The base of a stage is another stage, scratch, or a variable we cannot resolve. */
function baseIsExempt(df: Dockerfile, stage: Stage): boolean {
  return (
    stage.parentStage !== undefined ||
    stage.imageExpanded.toLowerCase() === 'scratch' ||
    stage.from.unresolved === true ||
    stage.imageExpanded === '' ||
    df.stages.some((s) => s.index < stage.index && s.name === stage.imageExpanded.toLowerCase())
  );
}

function perStageRepeats(df: Dockerfile, keyword: string, what: string): Violation[] {
  const out: Violation[] = [];
  for (const s of df.stages) {
    const found = s.instructions.filter((i) => i.keyword === keyword);
    for (const extra of found.slice(1)) out.push(at(extra, `${what}: only the last one takes effect`));
  }
  return out;
}

export const instructionRules: DockerfileCheck[] = [
  dfCheck(
    {
      ...dlMeta(
        'DL1001',
        'LOW',
        'Refrain from using inline ignore pragmas',
        'Keep suppressions in .hadolint.yaml instead of inline comments',
      ),
      optIn: true,
    },
    (input) =>
      input.df.comments
        .filter((c) => /^#\s*(hadolint|bollard)\s+ignore\s*=/i.test(c.text))
        .map((c) => ({ message: 'inline ignore pragma', startLine: c.line, endLine: c.line })),
  ),
  dfCheck(dlMeta('DL3000', 'HIGH', 'Use absolute WORKDIR', 'Give WORKDIR an absolute path'), (input) =>
    input.df.instructions
      .filter((i) => i.keyword === 'WORKDIR' && !isAbsolutePath(i.args.trim()))
      .map((i) => at(i, `WORKDIR ${i.args.trim()} is relative`)),
  ),
  dfCheck(
    dlMeta(
      'DL3002',
      'HIGH',
      'Last USER should not be root',
      'Switch to a non-root USER at the end of the final stage',
      {
        aliases: ['CIS-DI-4.1'],
        controls: ['CIS-Docker-4.1'],
      },
    ),
    (input) => {
      const last = finalStage(input.df);
      if (!last) return [];
      const users = last.instructions.filter((i) => i.keyword === 'USER');
      const u = users[users.length - 1];
      if (!u || u.unresolved) return [];
      return isRootUser(u.expanded ?? u.args) ? [at(u, `the image runs as ${u.args.trim()}`)] : [];
    },
  ),
  dfCheck(
    dlMeta('DL3006', 'MEDIUM', 'Always tag the version of an image explicitly', 'Use `image:tag` or `image@digest`', {
      controls: ['CIS-Docker-4.2'],
    }),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        if (baseIsExempt(input.df, s)) continue;
        const ref = splitImage(s.imageExpanded);
        if (ref.tag === undefined && ref.digest === undefined)
          out.push(at(s.from, `FROM ${s.imageExpanded} has no tag`));
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta('DL3007', 'MEDIUM', 'Using latest is prone to errors', 'Pin a specific tag or digest instead of :latest', {
      controls: ['CIS-Docker-4.2'],
    }),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        if (baseIsExempt(input.df, s)) continue;
        const ref = splitImage(s.imageExpanded);
        if (ref.tag === 'latest' && ref.digest === undefined)
          out.push(at(s.from, `FROM ${s.imageExpanded} uses :latest`));
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta(
      'DL3010',
      'LOW',
      'Use ADD for extracting archives into an image',
      'ADD a local archive instead of COPY + tar',
    ),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        const copied = new Map<string, Instruction>();
        for (const inst of s.instructions) {
          if (inst.keyword === 'COPY' && !inst.flags.some((f) => f.name === 'from')) {
            for (const src of copyArgs(inst).sources) {
              if (ARCHIVE.test(src) && /\.tar|\.t[gbx]z|tzst/.test(src)) copied.set(src.split('/').pop()!, inst);
            }
          }
          if (inst.keyword === 'RUN' && copied.size > 0) {
            const text = inst.args;
            for (const [name, copy] of copied) {
              if (/\btar\b/.test(text) && text.includes(name)) {
                out.push(at(copy, `${name} is copied and then extracted; ADD extracts local archives`));
                copied.delete(name);
              }
            }
          }
        }
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta('DL3011', 'HIGH', 'Valid UNIX ports range from 0 to 65535', 'Use a port between 0 and 65535'),
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'EXPOSE' || i.unresolved) continue;
        for (const w of splitWords(i.expanded ?? i.args)) {
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!m) continue;
          for (const p of [m[1], m[2]])
            if (p !== undefined && Number(p) > 65535) out.push(at(i, `port ${p} is out of range`));
        }
      }
      return out;
    },
  ),
  dfCheck(dlMeta('DL3012', 'HIGH', 'Multiple HEALTHCHECK instructions', 'Keep one HEALTHCHECK per stage'), (input) =>
    perStageRepeats(input.df, 'HEALTHCHECK', 'more than one HEALTHCHECK'),
  ),
  dfCheck(
    dlMeta('DL3020', 'HIGH', 'Use COPY instead of ADD for files and folders', 'Replace ADD with COPY', {
      aliases: ['CIS-DI-4.9'],
      controls: ['CIS-Docker-4.9'],
    }),
    (input) =>
      input.df.instructions
        .filter((i) => i.keyword === 'ADD' && i.heredocs.length === 0)
        .filter((i) => {
          const { sources } = copyArgs(i);
          return sources.some((s) => !URL.test(s) && !ARCHIVE.test(s));
        })
        .map((i) => at(i, 'ADD copies local files; COPY is explicit and does not fetch or extract')),
  ),
  dfCheck(
    dlMeta(
      'DL3021',
      'HIGH',
      'COPY with more than 2 arguments requires the last argument to end with /',
      'End the destination with /',
    ),
    (input) =>
      input.df.instructions
        .filter((i) => i.keyword === 'COPY' && i.heredocs.length === 0)
        .filter((i) => {
          const { sources, dest } = copyArgs(i);
          return sources.length > 1 && !dest.endsWith('/') && !dest.endsWith('\\');
        })
        .map((i) => at(i, 'COPY of several sources to a destination without a trailing /')),
  ),
  dfCheck(
    dlMeta(
      'DL3022',
      'MEDIUM',
      'COPY --from should reference a previously defined FROM alias',
      'Name the stage with AS',
    ),
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'COPY') continue;
        const from = i.flags.find((f) => f.name === 'from')?.value;
        if (from === undefined || from.startsWith('$')) continue;
        if (/^\d+$/.test(from) || /[:/@.]/.test(from)) continue;
        if (!stageByRef(input.df, from, i.stage)) out.push(at(i, `COPY --from=${from} names no earlier stage`));
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta('DL3023', 'HIGH', 'COPY --from cannot reference its own FROM alias', 'Copy from another stage'),
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'COPY') continue;
        const from = i.flags.find((f) => f.name === 'from')?.value?.toLowerCase();
        const stage = input.df.stages[i.stage];
        if (from !== undefined && stage && (from === stage.name || from === String(stage.index)))
          out.push(at(i, `COPY --from=${from} references its own stage`));
      }
      return out;
    },
  ),
  dfCheck(dlMeta('DL3024', 'HIGH', 'FROM aliases (stage names) must be unique', 'Rename the stage'), (input) => {
    const seen = new Set<string>();
    const out: Violation[] = [];
    for (const s of input.df.stages) {
      if (s.name === undefined) continue;
      if (seen.has(s.name)) out.push(at(s.from, `stage name ${s.name} is used twice`));
      seen.add(s.name);
    }
    return out;
  }),
  dfCheck(
    dlMeta(
      'DL3025',
      'MEDIUM',
      'Use JSON notation for CMD and ENTRYPOINT arguments',
      'Write `CMD ["executable", "arg"]` so signals reach the process',
    ),
    (input) =>
      input.df.instructions
        .filter((i) => (i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') && !i.json && i.args.trim() !== '')
        .map((i) => at(i, `${i.keyword} in shell form: the process runs under /bin/sh -c and does not get signals`)),
  ),
  dfCheck(
    dlMeta(
      'DL3026',
      'HIGH',
      'Use only an allowed registry in the FROM image',
      'Pull base images from a trusted registry',
      {
        aliases: ['CIS-DI-4.2'],
        controls: ['CIS-Docker-4.2'],
      },
    ),
    (input) => {
      const trusted = input.config.trustedRegistries;
      if (trusted.length === 0) return skipped('no trustedRegistries configured (.hadolint.yaml)');
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        if (baseIsExempt(input.df, s)) continue;
        const { registry } = splitImage(s.imageExpanded);
        const ok = trusted.some((t) => {
          const tt = t.toLowerCase();
          const r = registry.toLowerCase();
          if (tt === r || (tt === 'docker.io' && r === 'index.docker.io')) return true;
          // `*.example.com` matches subdomains
          return tt.startsWith('*.') && r.endsWith(tt.slice(1));
        });
        if (!ok) out.push(at(s.from, `${s.imageExpanded} comes from ${registry}, which is not a trusted registry`));
      }
      return out;
    },
  ),
  dfCheck(dlMeta('DL3029', 'MEDIUM', 'Do not use --platform with FROM', 'Let the builder pick the platform'), (input) =>
    input.df.stages
      .filter((s) => s.platform !== undefined && !s.platform.startsWith('$'))
      .map((s) => at(s.from, `FROM --platform=${s.platform} pins the platform`)),
  ),
  dfCheck(
    dlMeta(
      'DL3043',
      'HIGH',
      'ONBUILD, FROM or MAINTAINER triggered from within ONBUILD',
      'Remove the nested instruction',
    ),
    (input) =>
      input.df.instructions
        .filter((i) => i.onbuild && ['ONBUILD', 'FROM', 'MAINTAINER'].includes(i.onbuild.keyword))
        .map((i) => at(i, `ONBUILD ${i.onbuild?.keyword} is not allowed`)),
  ),
  dfCheck(
    dlMeta(
      'DL3044',
      'HIGH',
      'Do not refer to an environment variable within the same ENV statement where it is defined',
      'Split the ENV into two statements',
    ),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        const known = new Set<string>();
        for (const inst of s.instructions) {
          if (inst.keyword === 'ARG') {
            for (const w of splitWords(inst.args)) known.add(w.split('=')[0]!);
            continue;
          }
          if (inst.keyword !== 'ENV') continue;
          const pairs = parseKeyValues(inst.args, '\\', true);
          const defined = new Set<string>();
          for (const [k, v] of pairs) {
            for (const m of v.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
              const name = m[1]!;
              if (defined.has(name) && !known.has(name)) {
                out.push(at(inst, `ENV ${k} refers to ${name}, defined in the same statement`));
              }
            }
            defined.add(k);
          }
          for (const k of defined) known.add(k);
        }
      }
      // The raw text is needed: parseKeyValues already removed quotes but kept `$`.
      return out;
    },
  ),
  dfCheck(
    dlMeta(
      'DL3045',
      'MEDIUM',
      'COPY to a relative destination without WORKDIR set',
      'Set WORKDIR or use an absolute path',
    ),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        const chain = stageChain(input.df, s);
        const inherited = chain.slice(1).some((p) => p.instructions.some((i) => i.keyword === 'WORKDIR'));
        let workdir = inherited;
        for (const inst of s.instructions) {
          if (inst.keyword === 'WORKDIR') workdir = true;
          if (inst.keyword !== 'COPY' || workdir) continue;
          const { dest } = copyArgs(inst);
          if (dest && !isAbsolutePath(dest)) out.push(at(inst, `COPY to relative ${dest} before any WORKDIR`));
        }
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta('DL3048', 'LOW', 'Invalid label key', 'Use lower-case reverse-DNS keys (letters, digits, dots, dashes)'),
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'LABEL') continue;
        for (const [k] of parseKeyValues(i.args)) {
          const bad =
            /^[.-]|[.-]$/.test(k) ||
            /[.-]{2}/.test(k) ||
            !/^[a-z0-9.-]+$/.test(k) ||
            /^(com\.docker\.|io\.docker\.|org\.dockerproject\.)/.test(k);
          if (bad) out.push(at(i, `label key ${k} is not valid`));
        }
      }
      return out;
    },
  ),
  ...labelSchemaRules(),
  dfCheck(
    dlMeta('DL3057', 'LOW', 'HEALTHCHECK instruction missing', 'Add a HEALTHCHECK (or HEALTHCHECK NONE on purpose)', {
      aliases: ['CIS-DI-4.6'],
      controls: ['CIS-Docker-4.6'],
    }),
    (input) => {
      const last = finalStage(input.df);
      if (!last) return [];
      const chain = stageChain(input.df, last);
      if (chain.some((s) => s.instructions.some((i) => i.keyword === 'HEALTHCHECK'))) return [];
      const root = chain[chain.length - 1]!;
      if (!baseIsExempt(input.df, root) && root.imageExpanded.toLowerCase() !== 'scratch')
        // The base image may define one; we cannot see it from here.
        return [{ ...at(last.from, 'no HEALTHCHECK in the final stage (the base image may define one)') }];
      return [at(last.from, 'no HEALTHCHECK in the final stage')];
    },
  ),
  dfCheck(
    dlMeta('DL3059', 'LOW', 'Multiple consecutive RUN instructions', 'Join consecutive RUNs with &&'),
    (input) => {
      const out: Violation[] = [];
      for (const s of input.df.stages) {
        let prev: Instruction | undefined;
        for (const inst of s.instructions) {
          if (inst.keyword === 'RUN' && prev?.keyword === 'RUN') {
            const flags = (x: Instruction) =>
              x.flags
                .map((f) => `${f.name}=${f.value ?? ''}`)
                .sort()
                .join(' ');
            if (flags(inst) === flags(prev)) out.push(at(inst, 'RUN directly after another RUN adds a layer'));
          }
          prev = inst;
        }
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta(
      'DL3061',
      'HIGH',
      'Invalid instruction order: a Dockerfile must begin with FROM, ARG or a comment',
      'Start with FROM',
    ),
    (input) => {
      const first = input.df.instructions[0];
      if (!first) return [];
      if (first.keyword === 'FROM' || first.keyword === 'ARG') {
        const bad = input.df.preamble.find((i) => i.keyword !== 'ARG');
        return bad ? [at(bad, `${bad.keyword} before the first FROM`)] : [];
      }
      return [at(first, `the Dockerfile begins with ${first.keyword}`)];
    },
  ),
  dfCheck(dlMeta('DL4000', 'HIGH', 'MAINTAINER is deprecated', 'Use LABEL maintainer="..."'), (input) =>
    input.df.instructions.filter((i) => i.keyword === 'MAINTAINER').map((i) => at(i, 'MAINTAINER is deprecated')),
  ),
  dfCheck(dlMeta('DL4003', 'MEDIUM', 'Multiple CMD instructions found', 'Keep one CMD per stage'), (input) =>
    perStageRepeats(input.df, 'CMD', 'more than one CMD'),
  ),
  dfCheck(
    dlMeta('DL4004', 'HIGH', 'Multiple ENTRYPOINT instructions found', 'Keep one ENTRYPOINT per stage'),
    (input) => perStageRepeats(input.df, 'ENTRYPOINT', 'more than one ENTRYPOINT'),
  ),
];

/** DL3049-DL3058: label-schema in .hadolint.yaml declares required labels and their types. */
function labelSchemaRules(): DockerfileCheck[] {
  const needsSchema = 'no label-schema configured (.hadolint.yaml)';
  const labelsOf = (df: Dockerfile): { key: string; value: string; inst: Instruction }[] => {
    const last = finalStage(df);
    if (!last) return [];
    const out: { key: string; value: string; inst: Instruction }[] = [];
    for (const s of stageChain(df, last).reverse())
      for (const i of s.instructions)
        if (i.keyword === 'LABEL')
          for (const [k, v] of parseKeyValues(i.expanded ?? i.args)) out.push({ key: k, value: v, inst: i });
    return out;
  };
  const typed = (code: string, type: LabelType, title: string, valid: (v: string) => boolean): DockerfileCheck =>
    dfCheck(dlMeta(code, 'MEDIUM', title, `Give the label a valid ${type} value`), (input) => {
      const keys = Object.entries(input.config.labelSchema).filter(([, t]) => t === type);
      if (keys.length === 0) return skipped(`no label of type ${type} in label-schema (.hadolint.yaml)`);
      return labelsOf(input.df)
        .filter((l) => keys.some(([k]) => k === l.key) && l.value !== '' && !valid(l.value))
        .map((l) => at(l.inst, `label ${l.key}=${l.value} is not a valid ${type}`));
    });
  return [
    dfCheck(dlMeta('DL3049', 'LOW', 'Label is missing', 'Add the labels the label-schema requires'), (input) => {
      const schema = Object.keys(input.config.labelSchema);
      if (schema.length === 0) return skipped(needsSchema);
      const last = finalStage(input.df);
      if (!last) return [];
      const present = new Set(labelsOf(input.df).map((l) => l.key));
      return schema.filter((k) => !present.has(k)).map((k) => at(last.from, `label ${k} is missing`));
    }),
    dfCheck(
      dlMeta('DL3050', 'LOW', 'Superfluous labels present', 'Remove labels outside the label-schema'),
      (input) => {
        if (!input.config.strictLabels) return skipped('strict-labels is not enabled (.hadolint.yaml)');
        const schema = new Set(Object.keys(input.config.labelSchema));
        return labelsOf(input.df)
          .filter((l) => !schema.has(l.key))
          .map((l) => at(l.inst, `label ${l.key} is not in the label-schema`));
      },
    ),
    dfCheck(dlMeta('DL3051', 'MEDIUM', 'Label is empty', 'Give the label a value'), (input) => {
      const schema = new Set(Object.keys(input.config.labelSchema));
      if (schema.size === 0) return skipped(needsSchema);
      return labelsOf(input.df)
        .filter((l) => schema.has(l.key) && l.value.trim() === '')
        .map((l) => at(l.inst, `label ${l.key} is empty`));
    }),
    typed('DL3052', 'url', 'Label is not a valid URL', (v) => URL_VALID(v)),
    typed('DL3053', 'rfc3339', 'Label is not a valid RFC 3339 time', (v) =>
      /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v),
    ),
    typed('DL3054', 'spdx', 'Label is not a valid SPDX license identifier', (v) =>
      /^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$/.test(v),
    ),
    typed('DL3055', 'hash', 'Label is not a valid git hash', (v) => /^[0-9a-f]{7,40}$/.test(v)),
    typed('DL3056', 'semver', 'Label does not conform to semantic versioning', (v) =>
      /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(v),
    ),
    typed('DL3058', 'email', 'Label is not a valid email address', (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)),
  ];
}

function URL_VALID(v: string): boolean {
  try {
    const u = new globalThis.URL(v);
    return u.protocol !== '' && u.host !== '';
  } catch {
    return false;
  }
}

// Re-exported for the CIS checks (secrets look at expanded ENV values).
export { substitute };
