// Server-Sent Events over fetch(): EventSource cannot send the Authorization
// header, so we read the stream ourselves and parse the SSE wire format
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).

import { openStream, ApiError } from './api.js';
import { sleep } from './dom.js';

/** Incremental SSE parser. Feed it decoded text; it calls back per message. */
export class SseParser {
  constructor({ onMessage, onComment, onRetry, onId }) {
    this.onMessage = onMessage;
    this.onComment = onComment;
    this.onRetry = onRetry;
    this.onId = onId;
    this.buf = '';
    this.first = true;
    this.skipLF = false;
    this.reset();
    this.lastEventId = '';
  }

  reset() {
    this.data = [];
    this.event = '';
    this.idBuffer = null;
  }

  push(chunk) {
    let text = chunk;
    if (this.first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    if (this.skipLF && text.startsWith('\n')) text = text.slice(1);
    this.skipLF = false;
    this.buf += text;
    let start = 0;
    for (let i = 0; i < this.buf.length; i += 1) {
      const c = this.buf[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buf.slice(start, i));
      if (c === '\r') {
        if (i + 1 < this.buf.length) { if (this.buf[i + 1] === '\n') i += 1; }
        else this.skipLF = true; // a CRLF split across chunks
      }
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
  }

  line(line) {
    if (line === '') { this.dispatch(); return; }
    if (line[0] === ':') { this.onComment?.(line.slice(1).trimStart()); return; }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon !== -1) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
    }
    switch (field) {
      case 'data': this.data.push(value); break;
      case 'event': this.event = value; break;
      case 'id': if (!value.includes('\0')) this.idBuffer = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.onRetry?.(Number(value)); break;
      default: break; // unknown fields are ignored
    }
  }

  dispatch() {
    if (this.idBuffer !== null) {
      this.lastEventId = this.idBuffer;
      this.onId?.(this.lastEventId);
    }
    if (this.data.length) {
      this.onMessage?.({ id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') });
    }
    this.reset();
  }
}

/**
 * Follow an SSE endpoint until `signal` aborts, reconnecting with
 * Last-Event-ID after errors (exponential backoff, 1 s … 30 s).
 * onStatus(state, info): state ∈ connecting | open | reconnecting | stopped | error.
 */
export async function follow(path, { query, signal, onMessage, onStatus, onComment, lastEventId = null }) {
  let lastId = lastEventId;
  let serverRetry = null;
  let failures = 0;
  while (!signal.aborted) {
    onStatus?.('connecting', { attempt: failures, lastEventId: lastId });
    let reason = 'The server closed the stream.';
    let error = null;
    try {
      const headers = lastId ? { 'Last-Event-ID': lastId } : {};
      const res = await openStream(path, { headers, query, signal });
      onStatus?.('open', { lastEventId: lastId });
      const parser = new SseParser({
        onMessage: (msg) => { failures = 0; onMessage?.(msg); },
        onComment: (text) => onComment?.(text),
        onRetry: (ms) => { serverRetry = ms; },
        onId: (id) => { lastId = id || null; },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } finally {
        reader.releaseLock?.();
      }
    } catch (err) {
      if (signal.aborted) break;
      error = err;
      reason = err?.message || 'The connection failed.';
      // Permanent problems: do not hammer the server.
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        onStatus?.('error', { error: err });
        return;
      }
    }
    if (signal.aborted) break;
    failures += 1;
    const base = serverRetry ?? 1000;
    const delay = Math.min(30000, base * 2 ** Math.min(failures - 1, 5)) * (0.8 + Math.random() * 0.4);
    onStatus?.('reconnecting', { delay, reason, error, lastEventId: lastId, until: Date.now() + delay });
    try { await sleep(delay, signal); } catch { break; }
  }
  onStatus?.('stopped', { lastEventId: lastId });
}
