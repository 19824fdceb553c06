// The studio's calls to its server: JSON, PNGs as object URLs and server-sent events, all through fetch so a
// bearer token (latentlab studio --token) goes with every request.

const TOKEN_KEY = 'latentlab.token';

function token(): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) localStorage.setItem(TOKEN_KEY, fromUrl);
  return localStorage.getItem(TOKEN_KEY);
}

function headers(json: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const t = token();
  if (t) out.authorization = `Bearer ${t}`;
  if (json) out['content-type'] = 'application/json';
  return out;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly status?: number,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let error = { error: response.statusText, field: undefined as string | undefined };
    try {
      error = await response.json();
    } catch {
      // Not JSON: keep the status text.
    }
    throw new ApiError(error.error, error.field, response.status);
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request('GET', path)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return (await request('POST', path, body)).json() as Promise<T>;
}

/** A binary answer to a JSON request (the page's training data). */
export async function postForBytes(path: string, body: unknown): Promise<ArrayBuffer> {
  return (await request('POST', path, body)).arrayBuffer();
}

/** A PNG from the server as an object URL for an <img>; the caller revokes it when replaced. */
export async function imageUrl(path: string, body?: unknown): Promise<string> {
  const response = await request(body === undefined ? 'GET' : 'POST', path, body);
  return URL.createObjectURL(await response.blob());
}

/** Set an <img> from the server, releasing the URL it showed before. */
export async function showImage(img: HTMLImageElement, path: string, body?: unknown): Promise<void> {
  const url = await imageUrl(path, body);
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = url;
}

/** Follow a server-sent event stream; returns a function that closes it. */
export function events(path: string, onEvent: (type: string, data: unknown) => void): () => void {
  const abort = new AbortController();
  (async () => {
    const response = await fetch(path, { headers: headers(false), signal: abort.signal });
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        let type = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) type = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) onEvent(type, JSON.parse(data));
      }
    }
  })().catch(() => {
    // Closed by the page, or the server went away.
  });
  return () => abort.abort();
}
