// A text run (seq-ae, seq-vae, lm) in sentences rather than image grids, through the model server's /v1 text
// I/O: prior samples (resample, temperature), reconstructions of typed sentences with their token accuracy, and
// the homotopy between two sentences (Bowman et al. 2016, table 1). A language model only writes sentences.
import { getJson, postJson } from '../api.js';
import { errorBox, format, h } from '../dom.js';
import type { TextInfo } from '../types.js';

interface Capabilities {
  encode: boolean;
  sample: boolean;
  interpolate: boolean;
  conditional: boolean;
  latentSize?: number;
  text?: TextInfo;
}

interface Texts {
  texts: string[];
}

interface Reconstructions extends Texts {
  inputTexts: string[];
  tokenAccuracy: number[];
  tokenized: { tokens: number; unknown: number; truncated: boolean }[];
}

const EXAMPLE = 'the cat sat on the mat .';

export function textView(root: HTMLElement, name: string) {
  const v1 = `/v1/runs/${encodeURIComponent(name)}`;
  const facts = h('p', { class: 'facts' });
  const problem = h('div', {});

  const count = h('input', { type: 'number', name: 'n', value: 8, min: 1, max: 64, step: 1 });
  const seed = h('input', { type: 'number', name: 'seed', value: 0, min: 0, step: 1 });
  const temperature = h('input', {
    type: 'number',
    name: 'temperature',
    value: 0,
    min: 0,
    max: 5,
    step: 0.1,
    title: '0: the most likely token at each step (greedy); above 0: a draw from softmax(logits / t)',
  });
  const resample = h('button', { type: 'button', class: 'primary' }, 'Resample');
  const samples = h('ol', { class: 'sentences', 'data-testid': 'text-samples' });
  const samplesCaption = h('p', { class: 'hint' });

  const inputs = h('textarea', { name: 'sentences', rows: 4, spellcheck: false });
  const reconstruct = h('button', { type: 'button', class: 'primary' }, 'Reconstruct');
  const reconstructions = h('table', { class: 'text-table', 'data-testid': 'text-reconstructions' });

  const from = h('input', { type: 'text', name: 'from', class: 'sentence' });
  const to = h('input', { type: 'text', name: 'to', class: 'sentence' });
  const steps = h('input', { type: 'number', name: 'steps', value: 7, min: 2, max: 32, step: 1 });
  const slerp = h('input', { type: 'checkbox', name: 'slerp' });
  const interpolate = h('button', { type: 'button', class: 'primary' }, 'Interpolate');
  const homotopy = h('table', { class: 'text-table', 'data-testid': 'text-homotopy' });

  const samplePanel = h(
    'section',
    { class: 'panel text-panel' },
    h('h2', {}, 'Samples'),
    h(
      'div',
      { class: 'controls' },
      h('label', { class: 'field inline' }, h('span', {}, 'n'), count),
      h('label', { class: 'field inline' }, h('span', {}, 'seed'), seed),
      h('label', { class: 'field inline' }, h('span', {}, 'temperature'), temperature),
      resample,
    ),
    samples,
    samplesCaption,
  );
  const reconstructPanel = h(
    'section',
    { class: 'panel text-panel', hidden: true },
    h('h2', {}, 'Reconstructions'),
    h('p', { class: 'hint' }, 'One sentence a line: each is encoded to its code and decoded back.'),
    inputs,
    h('div', { class: 'controls' }, reconstruct),
    reconstructions,
  );
  const homotopyPanel = h(
    'section',
    { class: 'panel text-panel wide', hidden: true },
    h('h2', {}, 'Homotopy'),
    h('p', { class: 'hint' }, 'Sentences decoded along the path between the codes of two sentences.'),
    h('label', { class: 'field' }, h('span', {}, 'from'), from),
    h('label', { class: 'field' }, h('span', {}, 'to'), to),
    h(
      'div',
      { class: 'controls' },
      h('label', { class: 'field inline' }, h('span', {}, 'steps'), steps),
      h('label', { class: 'field inline' }, slerp, h('span', {}, 'spherical')),
      interpolate,
    ),
    homotopy,
  );
  const view = h('div', { class: 'text-view' }, samplePanel, reconstructPanel, homotopyPanel);
  root.append(
    h(
      'div',
      { class: 'title' },
      h('h1', {}, 'Text'),
      h('a', { href: `#/runs/${encodeURIComponent(name)}` }, name),
    ),
    facts,
    problem,
    view,
  );

  const guarded = (work: () => Promise<void>) => async () => {
    problem.replaceChildren();
    try {
      await work();
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  };
  const decoding = () => {
    const t = Number(temperature.value) || 0;
    return t > 0 ? { temperature: t } : {};
  };
  let conditional = false;
  const classOf = (n: number) => (conditional ? { labels: Array(n).fill(0) } : {});

  const drawSamples = guarded(async () => {
    const n = Math.min(64, Math.max(1, Number(count.value) || 8));
    const body = { n, seed: Number(seed.value) || 0, ...decoding() };
    const { texts } = await postJson<Texts>(`${v1}/sample`, body);
    samples.replaceChildren(...texts.map((text) => h('li', {}, text || '(empty)')));
    samplesCaption.textContent = `seed ${body.seed}, ${body.temperature ? `temperature ${body.temperature}` : 'greedy decoding'}`;
    samples.dataset.seed = String(body.seed);
  });

  const drawReconstructions = guarded(async () => {
    const texts = inputs.value
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    if (texts.length === 0) return;
    const answer = await postJson<Reconstructions>(`${v1}/reconstruct`, {
      texts,
      ...classOf(texts.length),
      ...decoding(),
    });
    reconstructions.replaceChildren(
      h('tr', {}, ...['input, as read', 'reconstruction', 'tokens right'].map((t) => h('th', {}, t))),
      ...answer.texts.map((output, i) => {
        const read = answer.tokenized[i];
        const notes = [
          read.unknown ? `${read.unknown} unknown` : '',
          read.truncated ? 'cut to the model’s length' : '',
        ].filter(Boolean);
        return h(
          'tr',
          {},
          h(
            'td',
            { class: 'sentence' },
            answer.inputTexts[i],
            notes.length ? h('small', {}, ` (${notes.join(', ')})`) : '',
          ),
          h('td', { class: 'sentence' }, output),
          h('td', { class: 'number' }, `${format(100 * answer.tokenAccuracy[i])}%`),
        );
      }),
    );
  });

  const drawHomotopy = guarded(async () => {
    if (!from.value.trim() || !to.value.trim()) return;
    const n = Math.min(32, Math.max(2, Number(steps.value) || 7));
    const { texts } = await postJson<Texts>(`${v1}/interpolate`, {
      from: { text: from.value },
      to: { text: to.value },
      steps: n,
      slerp: slerp.checked,
      ...decoding(),
    });
    homotopy.replaceChildren(
      h('tr', {}, h('th', {}, 't'), h('th', {}, 'sentence')),
      ...texts.map((text, i) =>
        h(
          'tr',
          { class: i === 0 || i === texts.length - 1 ? 'end' : undefined },
          h('td', { class: 'number' }, (i / (texts.length - 1)).toFixed(2)),
          h('td', { class: 'sentence' }, text),
        ),
      ),
    );
  });

  resample.addEventListener('click', () => {
    // Each press draws new codes: the next seed.
    seed.value = String((Number(seed.value) || 0) + 1);
    void drawSamples();
  });
  reconstruct.addEventListener('click', () => void drawReconstructions());
  interpolate.addEventListener('click', () => void drawHomotopy());

  const load = guarded(async () => {
    const details = await getJson<{ capabilities?: Capabilities }>(v1);
    const capabilities = details.capabilities;
    const text = capabilities?.text;
    if (!capabilities || !text) {
      problem.replaceChildren(errorBox(`${name} is not a trained text run`));
      samplePanel.hidden = true;
      return;
    }
    conditional = capabilities.conditional;
    facts.textContent = [
      `${text.tokenizer} tokens`,
      `vocabulary ${text.vocabularySize}`,
      `max length ${text.maxLength}`,
      capabilities.latentSize !== undefined ? `latent ${capabilities.latentSize}` : 'language model',
      conditional ? 'class 0 shown' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    reconstructPanel.hidden = !capabilities.encode;
    homotopyPanel.hidden = !(capabilities.encode && capabilities.interpolate);
    samplePanel.hidden = !capabilities.sample;
    // A language model's greedy sentences are all the same one: it is shown drawing tokens.
    if (capabilities.latentSize === undefined && !(Number(temperature.value) > 0)) temperature.value = '1';
    // Something to start from: sentences the model writes itself, one of them to reconstruct and two to join.
    if (capabilities.sample) {
      await drawSamples();
      const written = Array.from(samples.children, (li) => li.textContent ?? '');
      inputs.value = written.slice(0, 3).join('\n') || EXAMPLE;
      from.value = written[0] || EXAMPLE;
      to.value = written.find((s) => s !== from.value) || EXAMPLE;
    } else {
      inputs.value = EXAMPLE;
      from.value = EXAMPLE;
      to.value = EXAMPLE;
    }
    if (capabilities.encode) await drawReconstructions();
    if (capabilities.encode && capabilities.interpolate) await drawHomotopy();
    view.dataset.ready = 'true';
  });
  void load();
  return undefined;
}
