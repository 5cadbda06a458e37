// @lane unit
// The price table and the helpers around Retry-After and redaction.
import { costOf, priceFor } from '../../activities/ai-prices.ts';
import { parseRetryAfter, redact, redactDeep } from '../../activities/failures.ts';

describe('prices', () => {
  it('finds models by exact name, provider prefix and snapshot suffix', () => {
    expect(priceFor('gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceFor('gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceFor('openai/gpt-4.1')).toEqual({ input: 2, output: 8 });
    expect(priceFor('gpt-4-0613')).toEqual({ input: 30, output: 60 });
    expect(priceFor('o3-mini')).toEqual({ input: 1.1, output: 4.4 });
    expect(priceFor('llama3')).toBeUndefined();
    expect(priceFor('constructor')).toBeUndefined();
  });

  it('computes the cost in USD and flags unknown models', () => {
    expect(costOf('gpt-4o', { promptTokens: 1_000_000, completionTokens: 500_000 })).toEqual({ costUsd: 7.5, priced: true });
    expect(costOf('gpt-4.1-mini', { promptTokens: 1200, completionTokens: 300 })).toEqual({ costUsd: 0.00096, priced: true });
    expect(costOf('mistral', { promptTokens: 10, completionTokens: 10 })).toEqual({ costUsd: 0, priced: false });
  });
});

describe('failure helpers', () => {
  it('parses Retry-After seconds and HTTP dates, capped at an hour', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('250', now, 'ms')).toBe(250);
  });

  it('redacts secrets from text and nested values', () => {
    expect(redact('token abcd1234 and abcd1234', ['abcd1234', 'ab'])).toBe('token [redacted] and [redacted]');
    expect(redactDeep({ a: ['x abcd1234'], b: 1, abcd1234: true }, ['abcd1234'])).toEqual({ a: ['x [redacted]'], b: 1, '[redacted]': true });
  });
});
