// The plugin's tests: its compiled component in a real dvor runtime (the test kit), with a
// town, a house, a resident and a fixed clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { component } from '../build.mjs';
import { Setup } from '../lib/dvor-testkit.mjs';

async function town() {
  return new Setup()
    .plugin(component())
    .place('town', 'Город', 'settlement')
    .place('house-1', 'Дом 1', 'house', 'town')
    .now('2026-12-01T10:00:00+03:00')
    .start();
}

test('a resident adds a note that neighbours see', async () => {
  const host = await town();
  try {
    const anna = await host.person('Анна Петрова').resident('house-1').create();
    const added = await host.at('house-1').by(anna).submit('', 'add-note', { text: 'Кто оставил самокат у лифта?' });
    assert.equal(added.notice, 'Заметка добавлена', JSON.stringify(added));

    const page = await host.at('house-1').page('');
    assert.ok(page.shows('Анна Петрова'), page.text);
    assert.ok(page.shows('Кто оставил самокат у лифта?'), page.text);
    assert.ok(page.shows('01.12.2026'), page.text);

    const api = await host.at('house-1').get('notes');
    assert.equal(api.status, 200, api.body);
    assert.equal(api.json.notes[0].author, 'Анна Петрова');
  } finally {
    host.close();
  }
});

test('an empty note comes back with the error next to its field', async () => {
  const host = await town();
  try {
    const anna = await host.person('Анна Петрова').resident('house-1').create();
    const refused = await host.at('house-1').by(anna).submit('', 'add-note', { text: '   ' });
    assert.equal(refused.errorOf('text'), 'Напишите текст заметки', JSON.stringify(refused));
    assert.deepEqual((await host.at('house-1').get('notes')).json.notes, []);
  } finally {
    host.close();
  }
});
