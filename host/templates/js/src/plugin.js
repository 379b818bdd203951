// {{id}}: a dvor plugin in JavaScript. One API route (`GET notes`), one page (the notes and a
// form to add one, action `add-note`).

import { caller, community, now } from 'dvor:plugin/context@0.2.0';
import { insert, query } from 'dvor:plugin/storage@0.2.0';
import { MANIFEST } from './manifest.js';
import { cell, failure, json, tr, typed } from './dvor.js';

/** The newest notes of the call's community. */
function newest() {
  const page = query({
    collection: 'notes',
    conditions: [{ field: 'community', op: 'eq', value: { tag: 'text', val: community() } }],
    order: { field: 'created', descending: true },
    limit: 50,
    cursor: undefined,
    includeAncestors: false,
  });
  return page.documents.map((d) => JSON.parse(d.data));
}

export const plugin = {
  manifest() {
    return MANIFEST;
  },

  handleRequest(request) {
    if (request.method === 'GET' && request.path === 'notes') {
      return json(200, { notes: newest() });
    }
    throw failure('not-found', tr('Нет такого адреса', 'no such route'));
  },

  renderPage(route, _query) {
    if (route !== '') throw failure('not-found', tr('Нет такой страницы', 'no such page'));
    const rows = newest().map((note) => ({
      cells: [cell.datetime(note.created), cell.text(note.author), cell.text(note.text)],
      actions: [],
      link: undefined,
      tone: 'neutral',
    }));
    const form = {
      action: 'add-note',
      submit: tr('Добавить', 'Add'),
      confirm: undefined,
      fields: [{
        name: 'text', label: tr('Текст', 'Text'), kind: { tag: 'multiline', val: 0 }, required: true,
        value: { tag: 'none' }, help: undefined, error: undefined,
      }],
    };
    const table = {
      columns: [tr('Когда', 'When'), tr('Автор', 'Author'), tr('Текст', 'Text')].map((label) => ({ label, numeric: false })),
      rows,
      emptyText: tr('Заметок пока нет', 'No notes yet'),
      nextPage: undefined,
    };
    return {
      title: tr('{{title}}', '{{title}}'),
      breadcrumbs: [],
      sections: [
        { title: tr('Новая заметка', 'New note'), blocks: [{ tag: 'form', val: form }], live: undefined },
        { title: tr('Заметки', 'Notes'), blocks: [{ tag: 'table', val: table }], live: undefined },
      ],
    };
  },

  handleAction(_route, action, form) {
    if (action !== 'add-note') throw failure('not-found', tr('Нет такого действия', 'no such action'));
    const who = caller();
    if (!who) throw failure('unauthenticated', tr('Войдите, чтобы продолжить', 'sign in to continue'));
    const text = typed(form, 'text');
    if (!text) {
      return { tag: 'invalid', val: { errors: [{ field: 'text', message: tr('Напишите текст заметки', "write the note's text") }], form: undefined } };
    }
    const note = { author: who.displayName, text, created: Number(now()) };
    insert('notes', { id: undefined, community: community(), data: JSON.stringify(note), expectedVersion: undefined });
    return {
      tag: 'redirect',
      val: { to: { label: tr('{{title}}', '{{title}}'), route: '', query: [] }, notice: tr('Заметка добавлена', 'Note added') },
    };
  },

  onEvent(_event) {},

  runJob(run) {
    throw failure('not-found', `no job \`${run.name}\``);
  },

  summary(_place) {
    return undefined;
  },

  subscribe(_channel) {
    throw failure('not-found', tr('Нет такого канала', 'no such channel'));
  },
};
