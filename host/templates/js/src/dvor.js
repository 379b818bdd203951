// Small helpers over the dvor contract for JavaScript plugins: answers, errors and the
// caller's language. The contract itself is imported as `dvor:plugin/<interface>@0.2.0`.

import { locale } from 'dvor:plugin/context@0.2.0';

/** `ru` or `en` text by the call's locale. */
export function tr(ru, en) {
  return locale() === 'en' ? en : ru;
}

/** A JSON API answer. */
export function json(status, value) {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    headers: [],
    body: new TextEncoder().encode(JSON.stringify(value)),
  };
}

/** An error for the host (`code`: invalid, unauthenticated, forbidden, not-found, conflict, …). */
export function failure(code, message, field = undefined) {
  return { code, message, field };
}

/** A text cell, a datetime cell (ms since the epoch), for tables. */
export const cell = {
  text: (val) => ({ tag: 'text', val: String(val ?? '') }),
  datetime: (ms) => ({ tag: 'datetime', val: BigInt(ms) }),
};

/** The text typed into form field `name`, trimmed ('' when empty). */
export function typed(form, name) {
  const entry = form.find((e) => e.name === name);
  return entry && entry.value.tag === 'text' ? entry.value.val.trim() : '';
}
