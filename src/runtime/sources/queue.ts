/**
 * A bounded push → async-iterator queue for sources fed by callbacks (the webhook, a child
 * process). When full, `push` refuses (the caller counts the loss); nothing is dropped silently.
 */
export interface EventQueue<T> {
  push(item: T): boolean;
  end(): void;
  readonly size: number;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

export function createQueue<T>(capacity: number): EventQueue<T> {
  const items: T[] = [];
  let head = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  return {
    get size() {
      return items.length - head;
    },
    push(item) {
      if (ended || items.length - head >= capacity) return false;
      items.push(item);
      wake?.();
      return true;
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (head < items.length) {
          const it = items[head] as T;
          items[head++] = undefined as T;
          if (head > 4096 && head * 2 > items.length) {
            items.splice(0, head);
            head = 0;
          }
          yield it;
        }
        if (ended) return;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    },
  };
}
