// The e2e harness in one import: the stack, the browser, and what people do in it.
export * from './browser.ts';
export * from './flows.ts';
export * from './stack.ts';
