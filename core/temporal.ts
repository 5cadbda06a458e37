// Temporal client factory for the api and tools (the worker uses NativeConnection in worker/).
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function createTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address, connectTimeout: '5s' });
  return new Client({ connection, namespace: settings.namespace });
}

/**
 * Registers the search attributes runs carry, when missing. The dev server's
 * --search-attribute flag only applies to a fresh database file, so this runs at every start.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: Record<string, 'Keyword' | 'Int'>,
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(wanted).filter(([name]) => !(name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map(([name, type]) => [
        name,
        type === 'Int' ? proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT : proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return missing.map(([name]) => name);
}
