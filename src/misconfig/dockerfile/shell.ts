/**
 * A small POSIX-shell word splitter for RUN instructions: enough to see which commands run with
 * which arguments and how they are chained. It does not expand anything and does not descend into
 * `$(...)` or backticks (those stay part of the word), which is what the checks need.
 */

/** One simple command of a script. */
export interface ShellCommand {
  /** Arguments without leading `VAR=value` assignments. */
  argv: string[];
  /** `VAR=value` assignments before the command name. */
  assignments: string[];
  /** The command's output goes to the next command through `|`. */
  pipesTo: boolean;
  /** The command reads the previous command's output through `|`. */
  pipedFrom: boolean;
}

const MAX_SCRIPT = 1024 * 1024;

/** Split a script into simple commands (separators: `&&`, `||`, `;`, `&`, `|`, newlines, parentheses, braces). */
export function parseShell(script: string): ShellCommand[] {
  const text = script.length > MAX_SCRIPT ? script.slice(0, MAX_SCRIPT) : script;
  const out: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let pipeIn = false;

  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (pipe: boolean): void => {
    endWord();
    const assignments: string[] = [];
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) assignments.push(words.shift()!);
    // Grouping words are separators, not commands.
    const argv = words.filter((w) => w !== '{' && w !== '}');
    if (argv.length > 0 || assignments.length > 0) {
      out.push({ argv, assignments, pipesTo: pipe, pipedFrom: pipeIn });
      pipeIn = pipe;
    } else if (!pipe) pipeIn = false;
    words = [];
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const n = text[i + 1];
      if (n === '\n') {
        i++;
        continue;
      }
      if (n !== undefined) {
        word += n;
        inWord = true;
        i++;
      }
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      word += text.slice(i + 1, stop);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        word += text[i];
        i++;
      }
      inWord = true;
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      // Keep a command substitution inside the word, balancing parentheses.
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')') {
          depth--;
          if (depth === 0) break;
        }
      }
      word += text.slice(i, j + 1);
      inWord = true;
      i = j;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const stop = end < 0 ? text.length : end;
      word += text.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      endCommand(false);
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      continue;
    }
    if (c === '\n' || c === ';' || c === '(' || c === ')') {
      endCommand(false);
      continue;
    }
    if (c === '&') {
      if (text[i + 1] === '&') i++;
      else if (text[i - 1] === '>' || text[i + 1] === '>') {
        // `2>&1`, `&>`: a redirection, part of the word
        word += c;
        inWord = true;
        continue;
      }
      endCommand(false);
      continue;
    }
    if (c === '|') {
      if (text[i + 1] === '|') {
        i++;
        endCommand(false);
      } else endCommand(true);
      continue;
    }
    word += c;
    inWord = true;
  }
  endCommand(false);
  return out;
}

/** The command name without a path (`/usr/bin/apt-get` → `apt-get`). */
export function commandName(cmd: ShellCommand): string {
  const a = cmd.argv[0] ?? '';
  const slash = a.lastIndexOf('/');
  return slash >= 0 ? a.slice(slash + 1) : a;
}

/** Arguments that are not options (do not start with `-`). */
export function positional(args: readonly string[]): string[] {
  return args.filter((a) => !a.startsWith('-'));
}

/** Does the command carry one of these flags (long `--x`, short `-x`, or short combined `-yq`)? */
export function hasFlag(args: readonly string[], long: readonly string[], short: string = ''): boolean {
  for (const a of args) {
    if (a.startsWith('--')) {
      const name = a.split('=')[0]!;
      if (long.includes(name)) return true;
    } else if (a.startsWith('-') && a.length > 1 && short) {
      for (const ch of a.slice(1)) if (short.includes(ch)) return true;
    }
  }
  return false;
}

/** Is this command `name sub ...` (e.g. `apt-get install`), skipping options before the subcommand? */
export function isSubcommand(cmd: ShellCommand, names: readonly string[], subs: readonly string[]): boolean {
  if (!names.includes(commandName(cmd))) return false;
  const sub = cmd.argv.slice(1).find((a) => !a.startsWith('-'));
  return sub !== undefined && subs.includes(sub);
}

/** Arguments after the subcommand word. */
export function argsAfterSubcommand(cmd: ShellCommand, subs: readonly string[]): string[] {
  const idx = cmd.argv.findIndex((a, i) => i > 0 && subs.includes(a));
  return idx < 0 ? [] : cmd.argv.slice(idx + 1);
}
