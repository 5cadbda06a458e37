// What a chat completion costs: USD per 1 million input (prompt) and output (completion) tokens,
// OpenAI's list prices for standard processing as of mid-2025. One table, edited by hand when
// prices change; models not listed (local Ollama/vLLM models, new releases) cost 0 and are
// reported with `priced: false` so nobody mistakes "unknown" for "free".

export interface ModelPrice {
  /** USD per 1M prompt tokens. */
  input: number;
  /** USD per 1M completion tokens. */
  output: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

export const PRICES: PriceTable = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-2024-05-13': { input: 5, output: 15 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  o1: { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
};

/**
 * The price of a model as providers name it in responses: exact name first, then without a
 * provider prefix ("openai/gpt-4o") and a snapshot suffix ("gpt-4o-mini-2024-07-18", "gpt-4-0613").
 */
export function priceFor(model: string, table: PriceTable = PRICES): ModelPrice | undefined {
  const candidates: string[] = [];
  let name = model.trim().toLowerCase();
  candidates.push(name);
  name = name.replace(/^[\w.-]+\//, '');
  candidates.push(name);
  candidates.push(name.replace(/-\d{4}-\d{2}-\d{2}$/, ''), name.replace(/-\d{4}$/, ''));
  for (const candidate of candidates) {
    const price = Object.hasOwn(table, candidate) ? table[candidate] : undefined;
    if (price) return price;
  }
  return undefined;
}

export interface Cost {
  costUsd: number;
  /** False when the model is not in the table (costUsd is then 0). */
  priced: boolean;
}

export function costOf(
  model: string,
  usage: { promptTokens: number; completionTokens: number },
  table: PriceTable = PRICES,
): Cost {
  const price = priceFor(model, table);
  if (!price) return { costUsd: 0, priced: false };
  const usd = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
  return { costUsd: Math.round(usd * 1e10) / 1e10, priced: true };
}
