// True once React has hydrated in the browser. Canvas and chart libraries measure the DOM, so
// they render only then; the server sends a placeholder of the same size.
import { useSyncExternalStore } from 'react';

const subscribe = () => () => {};

export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
