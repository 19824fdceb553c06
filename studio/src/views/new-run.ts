// A new run from a form generated from the config schemas: the family's model options, the data, training.
import { getJson, postJson } from '../api.js';
import { errorBox, h } from '../dom.js';
import { type Field, type JsonSchema, renderField } from '../form.js';

interface Schemas {
  families: { kind: string; description: string; schema: JsonSchema }[];
  data: JsonSchema;
  train: JsonSchema;
}

export function newRunView(root: HTMLElement) {
  root.append(h('h1', {}, 'New run'));
  const form = h('form', { class: 'new-run' });
  const message = h('div', { class: 'message' });
  root.append(form, message);
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
    const modelBox = h('div', { class: 'fields' });
    let model: Field = { read: () => ({}) };
    const drawModel = () => {
      const family = schemas.families.find((f) => f.kind === kind.value)!;
      description.textContent = family.description;
      model = renderField('model', '', family.schema, undefined);
      modelBox.replaceChildren(model.element ?? '');
    };
    kind.addEventListener('change', drawModel);
    drawModel();
    const data = renderField('data', 'data', schemas.data, undefined);
    const train = renderField('train', '', schemas.train, undefined);
    const seed = h('input', { type: 'number', name: 'seed', value: 0, min: 0, step: 1 });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Start training');
    form.append(
      h(
        'section',
        {},
        h('h2', {}, 'Model'),
        h('label', { class: 'field' }, h('span', {}, 'kind'), kind),
        description,
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
      h('div', { class: 'actions' }, submit),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      message.replaceChildren();
      for (const marked of Array.from(form.querySelectorAll('.invalid'))) marked.classList.remove('invalid');
      const config = {
        model: { ...(model.read() as object), kind: kind.value },
        data: data.read(),
        train: train.read(),
        seed: Number(seed.value || 0),
      };
      try {
        const { run } = await postJson<{ run: string }>('/studio/api/runs', { config });
        location.hash = `#/runs/${encodeURIComponent(run)}`;
      } catch (error) {
        const field = (error as { field?: string }).field?.replace(/^config\./, '');
        if (field) form.querySelector(`[data-path="${CSS.escape(field)}"]`)?.classList.add('invalid');
        message.replaceChildren(errorBox(error));
        submit.disabled = false;
      }
    });
  })();
  return undefined;
}
