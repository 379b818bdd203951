// lost-found: an example dvor plugin in JavaScript — the lost and found board of a house. A
// resident who found something says what and where to collect it; neighbours see the list on
// the page and through `GET found`; whoever found it marks it collected (`POST found/ID/collected`).

import { caller, community, now } from 'dvor:plugin/context@0.2.0';
import { get, put, query } from 'dvor:plugin/storage@0.2.0';
import { MANIFEST } from './manifest.js';
import { cell, failure, json, tr, typed } from './dvor.js';

/** What is still waiting for its owner at the call's community, the newest first. */
function waiting() {
  const page = query({
    collection: 'found',
    conditions: [
      { field: 'community', op: 'eq', value: { tag: 'text', val: community() } },
      { field: 'returned', op: 'eq', value: { tag: 'boolean', val: false } },
    ],
    order: { field: 'found', descending: true },
    limit: 100,
    cursor: undefined,
    includeAncestors: false,
  });
  return page.documents.map((d) => ({ id: d.id, ...JSON.parse(d.data) }));
}

/** Mark item `id` collected: only the person who found it may. */
function collected(id) {
  const who = caller();
  if (!who) throw failure('unauthenticated', tr('Войдите, чтобы продолжить', 'sign in to continue'));
  const doc = get('found', id, false);
  if (!doc) throw failure('not-found', tr('Такой находки нет', 'no such item'));
  const item = JSON.parse(doc.data);
  if (item.finderId !== who.personId) {
    throw failure('forbidden', tr('Отметить может только тот, кто нашёл', 'only the finder may mark it collected'));
  }
  item.returned = true;
  put('found', { id, community: doc.community, data: JSON.stringify(item), expectedVersion: doc.version });
  return item;
}

function field(name, label, help) {
  return {
    name, label, kind: { tag: 'text', val: 200 }, required: true,
    value: { tag: 'none' }, help, error: undefined,
  };
}

export const plugin = {
  manifest() {
    return MANIFEST;
  },

  handleRequest(request) {
    if (request.method === 'GET' && request.path === 'found') {
      return json(200, { found: waiting().map(({ finderId: _, ...item }) => item) });
    }
    const marked = /^found\/([^/]+)\/collected$/.exec(request.path);
    if (request.method === 'POST' && marked) {
      const { finderId: _, ...item } = collected(marked[1]);
      return json(200, item);
    }
    throw failure('not-found', tr('Нет такого адреса', 'no such route'));
  },

  renderPage(route, _query) {
    if (route !== '') throw failure('not-found', tr('Нет такой страницы', 'no such page'));
    const rows = waiting().map((item) => ({
      cells: [cell.datetime(item.found), cell.text(item.what), cell.text(item.where), cell.text(item.finder)],
      actions: [],
      link: undefined,
      tone: 'neutral',
    }));
    const form = {
      action: 'found-something',
      submit: tr('Сообщить', 'Tell the neighbours'),
      confirm: undefined,
      fields: [
        field('what', tr('Что нашли', 'What you found'), tr('Например: ключи с брелоком', 'For example: keys on a key ring')),
        field('where', tr('Где забрать', 'Where to collect it'), tr('Например: у консьержа', 'For example: at the concierge')),
      ],
    };
    const table = {
      columns: [tr('Когда', 'When'), tr('Что', 'What'), tr('Где забрать', 'Where'), tr('Нашёл', 'Found by')]
        .map((label) => ({ label, numeric: false })),
      rows,
      emptyText: tr('Сейчас ничего не ждёт хозяина', 'Nothing is waiting for its owner'),
      nextPage: undefined,
    };
    return {
      title: tr('Бюро находок', 'Lost and found'),
      breadcrumbs: [],
      sections: [
        { title: tr('Ждут хозяина', 'Waiting for their owner'), blocks: [{ tag: 'table', val: table }], live: undefined },
        { title: tr('Я нашёл вещь', 'I found something'), blocks: [{ tag: 'form', val: form }], live: undefined },
      ],
    };
  },

  handleAction(_route, action, form) {
    if (action !== 'found-something') throw failure('not-found', tr('Нет такого действия', 'no such action'));
    const who = caller();
    if (!who) throw failure('unauthenticated', tr('Войдите, чтобы продолжить', 'sign in to continue'));
    const what = typed(form, 'what');
    const where = typed(form, 'where');
    const errors = [];
    if (!what) errors.push({ field: 'what', message: tr('Напишите, что нашли', 'say what you found') });
    if (!where) errors.push({ field: 'where', message: tr('Напишите, где забрать', 'say where to collect it') });
    if (errors.length) return { tag: 'invalid', val: { errors, form: undefined } };
    const item = { what, where, finder: who.displayName, finderId: who.personId, found: Number(now()), returned: false };
    put('found', { id: undefined, community: community(), data: JSON.stringify(item), expectedVersion: undefined });
    return {
      tag: 'redirect',
      val: { to: { label: tr('Бюро находок', 'Lost and found'), route: '', query: [] }, notice: tr('Соседи увидят находку', 'The neighbours will see it') },
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
