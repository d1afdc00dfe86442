/**
 * Background work that runs every so often (the offline sweep, retention, OTA session cleanup,
 * rollout steering): one pass at a time — a pass still running when the next is due is not
 * doubled — and a pass still running at shutdown is waited for before the store closes, so its
 * writes land before the clean-stop snapshot instead of failing against a closed store.
 */
import type { AppContext } from './context.ts';

/**
 * Runs `pass` every `everyMs` in this process until the app closes; a failure is logged as
 * `<what> failed`. Returns a function that starts a pass now unless one is running (tests).
 */
export function runPeriodically(ctx: Pick<AppContext, 'onClose' | 'logger'>, what: string, everyMs: number, pass: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let closed = false;
  const start = (): Promise<void> => {
    if (running || closed) return running ?? Promise.resolve();
    running = Promise.resolve()
      .then(pass)
      .then(
        () => undefined,
        (err: unknown) => ctx.logger.error({ err }, `${what} failed`),
      )
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void start(), everyMs);
  timer.unref();
  ctx.onClose(async () => {
    closed = true;
    clearInterval(timer);
    await running;
  });
  return start;
}
