// The studio's entry: a hash router over the views (runs list, new run, live run, latent explorer, anomalies,
// for text runs the text view, for audio runs the audio view, sweeps).
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { anomaliesView } from './views/anomalies.js';
import { audioView } from './views/audio.js';
import { explorerView } from './views/explorer.js';
import { newRunView } from './views/new-run.js';
import { runView } from './views/run.js';
import { runsView } from './views/runs.js';
import { sweepsView, sweepView } from './views/sweeps.js';
import { textView } from './views/text.js';

/** A view draws into its root and returns a clean-up for when the page changes (closing streams). */
export type View = (root: HTMLElement, ...params: string[]) => (() => void) | undefined;

const routes: [RegExp, View][] = [
  [/^#?\/?$/, runsView],
  [/^#\/new$/, newRunView],
  [/^#\/runs\/([^/]+)$/, runView],
  [/^#\/runs\/([^/]+)\/explore$/, explorerView],
  [/^#\/runs\/([^/]+)\/anomalies$/, anomaliesView],
  [/^#\/runs\/([^/]+)\/text$/, textView],
  [/^#\/runs\/([^/]+)\/audio$/, audioView],
  [/^#\/sweeps$/, sweepsView],
  [/^#\/sweeps\/([^/]+)$/, sweepView],
];

let cleanup: (() => void) | undefined;

function route(): void {
  cleanup?.();
  const root = document.getElementById('app')!;
  root.replaceChildren();
  for (const [pattern, view] of routes) {
    const match = pattern.exec(location.hash);
    if (match) {
      cleanup = view(root, ...match.slice(1).map(decodeURIComponent));
      return;
    }
  }
  root.textContent = 'No such page.';
}

window.addEventListener('hashchange', route);
route();
