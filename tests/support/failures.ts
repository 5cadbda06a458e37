// What an activity threw: the ApplicationFailure a workflow would see (type, nonRetryable,
// details), for tests that assert on how an activity fails.
import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure `promise` rejects with; anything else (or no failure) fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await promise.then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  if (!outcome.failed) throw new Error('expected the activity to fail');
  if (!(outcome.error instanceof ApplicationFailure)) throw outcome.error;
  return outcome.error;
}
