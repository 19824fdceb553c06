// A new run from a form generated from the config schemas: the family's model options, the data, training;
// trained on the server (a child process there) or in this page ("train here", views/train-here.ts).
import { getJson, postJson } from '../api.js';
import { errorBox, h } from '../dom.js';
import { type Field, type JsonSchema, renderField } from '../form.js';
import type { TrainHere } from './train-here.js';

interface Schemas {
  /** pageRefusal: why the page cannot train the family (absent: it can). */
  families: { kind: string; description: string; schema: JsonSchema; pageRefusal?: string }[];
  data: JsonSchema;
  train: JsonSchema;
}

export function newRunView(root: HTMLElement) {
  root.append(h('h1', {}, 'New run'));
  const form = h('form', { class: 'new-run' });
  const message = h('div', { class: 'message' });
  const hereBox = h('div', {});
  root.append(form, message, hereBox);
  let here: TrainHere | undefined;
  let left = false;
  void (async () => {
    let schemas: Schemas;
    try {
      schemas = await getJson<Schemas>('/studio/api/schemas');
    } catch (error) {
      root.append(errorBox(error));
      return;
    }
    const kind = h('select', { name: 'model.kind' });
    for (const family of schemas.families) kind.append(h('option', { value: family.kind }, family.kind));
    const description = h('p', { class: 'hint' });
    const pageNote = h('p', { class: 'hint', 'data-testid': 'page-refusal' });
    const modelBox = h('div', { class: 'fields' });
    let model: Field = { read: () => ({}) };
    const drawModel = () => {
      const family = schemas.families.find((f) => f.kind === kind.value)!;
      description.textContent = family.description;
      pageNote.textContent = family.pageRefusal ? `Trains on the server only: ${family.pageRefusal}.` : '';
      drawButtons();
      model = renderField('model', '', family.schema, undefined);
      modelBox.replaceChildren(model.element ?? '');
    };
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Train on the server');
    const trainHere = h('button', { type: 'button', disabled: true }, 'Train here');
    let busy = false;
    const drawButtons = () => {
      const family = schemas.families.find((f) => f.kind === kind.value);
      submit.disabled = busy;
      trainHere.disabled = busy || family?.pageRefusal !== undefined || !here;
    };
    kind.addEventListener('change', drawModel);
    drawModel();
    const data = renderField('data', 'data', schemas.data, undefined);
    const train = renderField('train', '', schemas.train, undefined);
    const seed = h('input', { type: 'number', name: 'seed', value: 0, min: 0, step: 1 });
    form.append(
      h(
        'section',
        {},
        h('h2', {}, 'Model'),
        h('label', { class: 'field' }, h('span', {}, 'kind'), kind),
        description,
        pageNote,
        modelBox,
      ),
      h(
        'section',
        {},
        h('h2', {}, 'Data'),
        data.element ?? '',
        h('label', { class: 'field' }, h('span', {}, 'seed'), seed),
      ),
      h('section', {}, h('h2', {}, 'Training'), train.element ?? ''),
      h('div', { class: 'actions' }, submit, trainHere),
    );
    const readConfig = () => ({
      model: { ...(model.read() as object), kind: kind.value },
      data: data.read(),
      train: train.read(),
      seed: Number(seed.value || 0),
    });
    const clearErrors = () => {
      message.replaceChildren();
      for (const marked of Array.from(form.querySelectorAll('.invalid'))) marked.classList.remove('invalid');
    };
    const showError = (error: unknown) => {
      const field = (error as { field?: string }).field?.replace(/^config\./, '');
      if (field) form.querySelector(`[data-path="${CSS.escape(field)}"]`)?.classList.add('invalid');
      message.replaceChildren(errorBox(error));
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      clearErrors();
      try {
        const { run } = await postJson<{ run: string }>('/studio/api/runs', { config: readConfig() });
        location.hash = `#/runs/${encodeURIComponent(run)}`;
      } catch (error) {
        showError(error);
        submit.disabled = false;
      }
    });
    trainHere.addEventListener('click', () => {
      clearErrors();
      void here?.start();
    });
    // TensorFlow.js and the families' code load on their own, after the form is up.
    try {
      const { trainHerePanel } = await import('./train-here.js');
      here = await trainHerePanel({
        readConfig,
        showError,
        onBusy: (now) => {
          busy = now;
          drawButtons();
        },
      });
    } catch (error) {
      hereBox.replaceChildren(errorBox(`training in the page is unavailable: ${(error as Error).message}`));
      return;
    }
    if (left) here.close();
    else hereBox.replaceChildren(here.element);
    drawButtons();
  })();
  return () => {
    left = true;
    here?.close();
  };
}
