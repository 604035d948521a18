import { styleText } from 'node:util';
import type { Progress, ProgressTask } from '../util/progress.ts';

/**
 * Progress on a terminal: one line per running task, redrawn at most ten times a second on stderr.
 * Used only when stderr is a TTY and the user did not ask for quiet output; otherwise the services
 * get `silentProgress` and nothing is drawn.
 */
export function createTerminalProgress(out: NodeJS.WriteStream = process.stderr): Progress & { stop(): void } {
  interface Line {
    label: string;
    done: number;
    total: number | undefined;
    unit: 'bytes' | 'items';
  }
  const active = new Map<number, Line>();
  let id = 0;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const colour = (fmt: Parameters<typeof styleText>[0], s: string): string => styleText(fmt, s, { stream: out });

  const render = (): void => {
    let s = '';
    if (drawn > 0) s += `\x1b[${drawn}A`;
    const lines = [...active.values()];
    for (const l of lines) {
      const amount =
        l.unit === 'bytes'
          ? `${formatBytes(l.done)}${l.total ? ` / ${formatBytes(l.total)}` : ''}`
          : `${l.done}${l.total ? ` / ${l.total}` : ''} entries`;
      s += `\x1b[2K${colour('cyan', '•')} ${l.label}  ${colour('dim', amount)}\n`;
    }
    for (let i = lines.length; i < drawn; i++) s += '\x1b[2K\n';
    if (drawn > lines.length) s += `\x1b[${drawn - lines.length}A`;
    drawn = lines.length;
    out.write(s);
  };
  const schedule = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      render();
    }, 100);
    timer.unref();
  };
  const finish = (key: number, ok: boolean, note?: string): void => {
    const l = active.get(key);
    if (!l) return;
    active.delete(key);
    render();
    const mark = ok ? colour('green', '✓') : colour('red', '✗');
    const size = l.unit === 'bytes' && l.done > 0 ? ` ${colour('dim', formatBytes(l.done))}` : '';
    // Print the finished line above the live ones.
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    out.write(`\x1b[2K${mark} ${l.label}${size}${note ? ` ${note}` : ''}\n`);
    drawn = 0;
    render();
  };

  return {
    task(label, total, unit = 'items'): ProgressTask {
      const key = ++id;
      active.set(key, { label, done: 0, total, unit });
      schedule();
      return {
        update(done, t) {
          const l = active.get(key);
          if (!l) return;
          l.done = done;
          if (t !== undefined) l.total = t;
          schedule();
        },
        advance(delta) {
          const l = active.get(key);
          if (!l) return;
          l.done += delta;
          schedule();
        },
        done: (note) => finish(key, true, note),
        fail: (note) => finish(key, false, note),
      };
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      active.clear();
      render();
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
