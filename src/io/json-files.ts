// JSON files another process may be writing (a run's config, summary, metrics): read without failing, since a
// reader can always come back and see them whole.
import { readFile } from 'node:fs/promises';

/** A JSON file's value, or undefined when it is missing or not valid JSON (yet). */
export async function readJsonIfAny(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every complete line of a JSON-lines file, in order (a line being written is left out); [] when missing. */
export async function readJsonLines(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A line being written as we read: the next read sees it whole.
    }
  }
  return out;
}
