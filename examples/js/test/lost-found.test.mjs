// The example's tests: its compiled component in a real dvor runtime (the test kit,
// ../../testkit/js), with a house, two residents and a fixed clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { component } from '../build.mjs';
import { Setup } from '../../../testkit/js/dvor-testkit.mjs';

async function house() {
  return new Setup()
    .plugin(component())
    .place('town', 'Город', 'settlement')
    .place('house-1', 'Дом 1', 'house', 'town')
    .place('house-2', 'Дом 2', 'house', 'town')
    .now('2026-12-01T10:00:00+03:00')
    .start();
}

test('a neighbour sees what was found, where to collect it and who found it', async () => {
  const host = await house();
  try {
    const anna = await host.person('Анна Петрова').resident('house-1').create();
    const told = await host.at('house-1').by(anna)
      .submit('', 'found-something', { what: 'Ключи с синим брелоком', where: 'У консьержа' });
    assert.equal(told.notice, 'Соседи увидят находку', JSON.stringify(told));

    const boris = await host.person('Борис Иванов').resident('house-1').create();
    const page = await host.at('house-1').by(boris).page('');
    for (const text of ['Ключи с синим брелоком', 'У консьержа', 'Анна Петрова', '01.12.2026']) {
      assert.ok(page.shows(text), `${text} in ${page.text}`);
    }
    const english = await host.at('house-1').by(boris).english().page('');
    assert.ok(english.shows('Waiting for their owner'), english.text);

    const elsewhere = await host.at('house-2').by(boris).page('');
    assert.ok(!elsewhere.shows('Ключи с синим брелоком'), 'another house does not see it');
    assert.ok(elsewhere.shows('Сейчас ничего не ждёт хозяина'), elsewhere.text);
  } finally {
    host.close();
  }
});

test('only the finder marks an item collected, and then it leaves the list', async () => {
  const host = await house();
  try {
    const anna = await host.person('Анна Петрова').resident('house-1').create();
    const boris = await host.person('Борис Иванов').resident('house-1').create();
    await host.at('house-1').by(anna).submit('', 'found-something', { what: 'Варежка', where: 'На подоконнике' });
    const listed = await host.at('house-1').by(boris).get('found');
    assert.equal(listed.status, 200, listed.body);
    assert.equal(listed.json.found.length, 1);
    assert.equal(listed.json.found[0].what, 'Варежка');
    assert.equal(listed.json.found[0].finderId, undefined, 'the API does not show person ids');

    const id = listed.json.found[0].id;
    const refused = await host.at('house-1').by(boris).post(`found/${id}/collected`, {});
    assert.equal(refused.status, 403, refused.body);
    assert.match(refused.body, /Отметить может только тот, кто нашёл/);

    const done = await host.at('house-1').by(anna).post(`found/${id}/collected`, {});
    assert.equal(done.status, 200, done.body);
    assert.deepEqual((await host.at('house-1').get('found')).json.found, []);
  } finally {
    host.close();
  }
});

test('what and where are both required, each error next to its field', async () => {
  const host = await house();
  try {
    const anna = await host.person('Анна Петрова').resident('house-1').create();
    const refused = await host.at('house-1').by(anna).submit('', 'found-something', { what: '  ', where: '' });
    assert.equal(refused.errorOf('what'), 'Напишите, что нашли', JSON.stringify(refused));
    assert.equal(refused.errorOf('where'), 'Напишите, где забрать', JSON.stringify(refused));
    assert.deepEqual((await host.at('house-1').get('found')).json.found, []);
  } finally {
    host.close();
  }
});
