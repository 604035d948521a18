/**
 * Progress of long work (downloads, layer walks) for a person watching a terminal.
 * Services report through this interface; the CLI decides whether anything is drawn
 * (only on a TTY, never on stdout).
 */
export interface ProgressTask {
  /** Set absolute progress, in the task's unit (bytes for downloads). */
  update(done: number, total?: number): void;
  advance(delta: number): void;
  done(note?: string): void;
  fail(note?: string): void;
}

export interface Progress {
  task(label: string, total?: number, unit?: 'bytes' | 'items'): ProgressTask;
}

const noopTask: ProgressTask = {
  update() {},
  advance() {},
  done() {},
  fail() {},
};

export const silentProgress: Progress = {
  task() {
    return noopTask;
  },
};
