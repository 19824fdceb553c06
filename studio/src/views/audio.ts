// An audio run (any family trained on spectrograms or waveforms) heard rather than looked at: test recordings
// beside their reconstructions, prior samples with resample, and a WAV of your own reconstructed, each as its
// spectrogram (PNG from the server) over a player (WAV from the server, resynthesised by Griffin-Lim).
import { getJson, postJson } from '../api.js';
import { errorBox, h } from '../dom.js';
import type { AudioInfo } from '../types.js';

interface Capabilities {
  encode: boolean;
  reconstruct: boolean;
  sample: boolean;
  conditional: boolean;
  latentSize?: number;
  audio?: AudioInfo;
}

interface Original {
  id: string;
  label?: number;
  className?: string;
  wav: string;
  spectrogram: string;
}

interface Sounds {
  wavs: string[];
  spectrograms: string[];
}

interface ClipRead {
  cut: boolean;
  padded: boolean;
  clipped: boolean;
  resampled: boolean;
  silent: boolean;
}

interface Reconstructions extends Sounds {
  mse: number[];
  inputSpectrograms: string[];
  clips: ClipRead[];
}

/** A WAV (base64 from the server, or a file) as an object URL an <audio> element plays. */
function wavUrl(wav: string | Blob, urls: string[]): string {
  const blob =
    typeof wav === 'string'
      ? new Blob([Uint8Array.from(atob(wav), (c) => c.charCodeAt(0))], { type: 'audio/wav' })
      : wav;
  const url = URL.createObjectURL(blob);
  urls.push(url);
  return url;
}

/** Bytes as base64, in slices (String.fromCharCode takes a bounded number of arguments). */
function base64Of(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** One clip: its spectrogram over a player, with a caption. */
function clip(caption: string, spectrogram: string, audio: string, note = ''): HTMLElement {
  return h(
    'figure',
    { class: 'clip' },
    h('img', { src: spectrogram, alt: `spectrogram: ${caption}` }),
    h('audio', { controls: true, preload: 'auto', src: audio }),
    h('figcaption', {}, caption, note ? h('small', {}, note) : ''),
  );
}

function readNotes(read: ClipRead | undefined, seconds: number): string {
  if (!read) return '';
  return [
    read.resampled ? 'resampled' : '',
    read.cut ? `first ${seconds} s` : '',
    read.padded ? 'padded' : '',
    read.clipped ? 'clipped' : '',
    read.silent ? 'silent' : '',
  ]
    .filter(Boolean)
    .join(', ');
}

export function audioView(root: HTMLElement, name: string) {
  const v1 = `/v1/runs/${encodeURIComponent(name)}`;
  const studio = `/studio/api/runs/${encodeURIComponent(name)}`;
  const facts = h('p', { class: 'facts' });
  const problem = h('div', {});
  // Object URLs of the players, per panel: released when the panel is redrawn or the page changes.
  const played = { originals: [] as string[], samples: [] as string[], upload: [] as string[] };
  const release = (urls: string[]) => {
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  };

  const pairs = h('div', { class: 'clip-pairs', 'data-testid': 'audio-reconstructions' });
  const pairsPanel = h(
    'section',
    { class: 'panel audio-panel wide' },
    h('h2', {}, 'Originals and reconstructions'),
    h(
      'p',
      { class: 'hint' },
      'Recordings of the test split as the model hears them, beside what it makes of them.',
    ),
    pairs,
  );

  const count = h('input', { type: 'number', name: 'n', value: 6, min: 1, max: 32, step: 1 });
  const seed = h('input', { type: 'number', name: 'seed', value: 0, min: 0, step: 1 });
  const resample = h('button', { type: 'button', class: 'primary' }, 'Resample');
  const samples = h('div', { class: 'clips', 'data-testid': 'audio-samples' });
  const samplesCaption = h('p', { class: 'hint' });
  const samplePanel = h(
    'section',
    { class: 'panel audio-panel wide', hidden: true },
    h('h2', {}, 'Samples'),
    h(
      'div',
      { class: 'controls' },
      h('label', { class: 'field inline' }, h('span', {}, 'n'), count),
      h('label', { class: 'field inline' }, h('span', {}, 'seed'), seed),
      resample,
    ),
    samples,
    samplesCaption,
  );

  const file = h('input', { type: 'file', name: 'recording', accept: 'audio/wav,audio/x-wav,.wav,.wave' });
  const yours = h('div', { class: 'clip-pairs', 'data-testid': 'audio-upload' });
  const uploadProblem = h('div', {});
  const uploadPanel = h(
    'section',
    { class: 'panel audio-panel wide', hidden: true },
    h('h2', {}, 'Your recording'),
    h(
      'p',
      { class: 'hint' },
      'A WAV file (PCM or float, any rate): resampled to the model’s rate, cut or padded to its clip, and reconstructed.',
    ),
    h('div', { class: 'controls' }, file),
    uploadProblem,
    yours,
  );

  const view = h('div', { class: 'audio-view' }, pairsPanel, samplePanel, uploadPanel);
  root.append(
    h(
      'div',
      { class: 'title' },
      h('h1', {}, 'Audio'),
      h('a', { href: `#/runs/${encodeURIComponent(name)}` }, name),
    ),
    facts,
    problem,
    view,
  );

  const guarded =
    (work: () => Promise<void>, where: HTMLElement = problem) =>
    async () => {
      where.replaceChildren();
      try {
        await work();
      } catch (error) {
        where.replaceChildren(errorBox(error));
      }
    };
  let conditional = false;
  let seconds = 1;

  /** A row: the original (as heard) and its reconstruction. */
  const pair = (title: string, original: HTMLElement, answer: Reconstructions, i: number, urls: string[]) =>
    h(
      'div',
      { class: 'clip-pair' },
      h('h3', {}, title),
      original,
      clip(
        'reconstruction',
        answer.spectrograms[i],
        wavUrl(answer.wavs[i], urls),
        `error ${answer.mse[i].toPrecision(2)}`,
      ),
    );

  const drawOriginals = guarded(async () => {
    const { clips } = await getJson<{ clips: Original[] }>(`${studio}/audio/originals?n=6`);
    if (clips.length === 0) {
      pairs.replaceChildren(h('p', { class: 'hint' }, 'The test split is empty.'));
      return;
    }
    const answer = await postJson<Reconstructions>(`${v1}/reconstruct`, {
      audio: clips.map((c) => c.wav),
      ...(conditional ? { labels: clips.map((c) => c.label ?? 0) } : {}),
    });
    release(played.originals);
    pairs.replaceChildren(
      ...clips.map((c, i) =>
        pair(
          c.className !== undefined ? `${c.className} · ${c.id}` : c.id,
          clip('original', c.spectrogram, wavUrl(c.wav, played.originals)),
          answer,
          i,
          played.originals,
        ),
      ),
    );
  });

  const drawSamples = guarded(async () => {
    const n = Math.min(32, Math.max(1, Number(count.value) || 6));
    const body = { n, seed: Number(seed.value) || 0 };
    const answer = await postJson<Sounds>(`${v1}/sample`, body);
    release(played.samples);
    samples.replaceChildren(
      ...answer.wavs.map((wav, i) =>
        clip(`sample ${i + 1}`, answer.spectrograms[i], wavUrl(wav, played.samples)),
      ),
    );
    samplesCaption.textContent = `seed ${body.seed}${conditional ? ', one row per class' : ''}`;
    samples.dataset.seed = String(body.seed);
  });

  const reconstructUpload = guarded(async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const wav = base64Of(new Uint8Array(await chosen.arrayBuffer()));
    const answer = await postJson<Reconstructions>(`${v1}/reconstruct`, {
      audio: [wav],
      ...(conditional ? { labels: [0] } : {}),
    });
    release(played.upload);
    yours.replaceChildren(
      pair(
        chosen.name,
        clip(
          'as heard',
          answer.inputSpectrograms[0],
          wavUrl(chosen, played.upload),
          readNotes(answer.clips[0], seconds),
        ),
        answer,
        0,
        played.upload,
      ),
    );
  }, uploadProblem);

  resample.addEventListener('click', () => {
    // Each press draws new codes: the next seed.
    seed.value = String((Number(seed.value) || 0) + 1);
    void drawSamples();
  });
  file.addEventListener('change', () => void reconstructUpload());

  const load = guarded(async () => {
    const details = await getJson<{ capabilities?: Capabilities }>(v1);
    const capabilities = details.capabilities;
    const audio = capabilities?.audio;
    if (!capabilities || !audio) {
      problem.replaceChildren(errorBox(`${name} is not a trained audio run`));
      pairsPanel.hidden = true;
      return;
    }
    conditional = capabilities.conditional;
    seconds = audio.samples / audio.sampleRate;
    const frames = Math.floor(audio.samples / audio.hop);
    facts.textContent = [
      audio.representation === 'mel'
        ? `log-mel ${audio.mels} bands × ${frames} frames (FFT ${audio.nFft}, hop ${audio.hop})`
        : 'waveform',
      `${audio.sampleRate} Hz`,
      `${seconds} s clips`,
      capabilities.latentSize !== undefined ? `latent ${capabilities.latentSize}` : '',
      audio.representation === 'mel' ? 'heard through Griffin-Lim' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    pairsPanel.hidden = !capabilities.reconstruct;
    uploadPanel.hidden = !capabilities.reconstruct;
    samplePanel.hidden = !capabilities.sample;
    if (capabilities.reconstruct) await drawOriginals();
    if (capabilities.sample) await drawSamples();
    view.dataset.ready = 'true';
  });
  void load();
  return () => {
    for (const urls of Object.values(played)) release(urls);
  };
}
