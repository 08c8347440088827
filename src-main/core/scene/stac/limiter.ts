/** At most `max` tasks at once; the others wait in order. */
export interface Limiter {
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly active: number;
}

export function makeLimiter(max: number): Limiter {
  let active = 0;
  const queue: { start: () => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  const next = (): void => {
    while (active < max && queue.length) {
      const w = queue.shift()!;
      if (w.signal?.aborted) continue;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      active++;
      w.start();
    }
  };
  return {
    get active() { return active; },
    run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const entry: (typeof queue)[number] = {
          signal,
          start: () => {
            task().then(resolve, reject).finally(() => { active--; next(); });
          },
        };
        if (signal) {
          if (signal.aborted) return reject(signal.reason);
          entry.onAbort = () => {
            const i = queue.indexOf(entry);
            if (i >= 0) queue.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', entry.onAbort, { once: true });
        }
        queue.push(entry);
        next();
      });
    },
  };
}
