// A Server-Sent Events parser (the WHATWG event-stream format) over a fetch body, so the client
// follows live runs without EventSource (absent from Node) and can send an Authorization header.

export interface SseMessage {
  event: string;
  data: string;
  /** The stream's last event id so far (sent back as Last-Event-ID on reconnect). */
  id: string | undefined;
}

export interface SseControl {
  /** The reconnection delay the server asked for (`retry:`), in ms. */
  retryMs?: number;
}

/** Yields each dispatched message; comment lines (heartbeats) are skipped. */
export async function* parseEventStream(body: ReadableStream<Uint8Array>, control: SseControl = {}): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let lastId: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id: lastId };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id' && !fieldValue.includes('\0')) lastId = fieldValue;
        else if (field === 'retry' && /^\d+$/.test(fieldValue)) control.retryMs = Number(fieldValue);
      }
    }
  } finally {
    // An early break (or an error) must release the connection.
    await reader.cancel().catch(() => undefined);
  }
}
