// A periodic background pass (sweepers): runs now and then every interval, never two passes at
// once; a failed pass is reported and the next one runs as usual.

/** Starts `pass`; returns stop(). The timer does not keep the process alive. */
export function every(intervalMs: number, pass: () => Promise<unknown>, onError: (error: unknown) => void): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    pass()
      .catch(onError)
      .finally(() => (running = false));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
