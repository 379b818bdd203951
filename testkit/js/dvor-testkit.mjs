// dvor-testkit for JavaScript: a plugin's tests (node --test) run its compiled component in a
// real dvor runtime — the same storage, scopes, capabilities, transactions, limits and page
// renderer as an instance — on an in-memory database, with the places, people, roles, clock
// and callers a test chooses. It talks to `dvor plugin test-host` (one JSON request per line),
// as the Rust kit `dvor-testkit` does; the two say the same things in the same words.
//
//   import { Setup } from './dvor-testkit.mjs';
//   const host = await new Setup()
//     .plugin('dist/my_plugin.wasm')
//     .place('town', 'Город', 'settlement')
//     .place('house-1', 'Дом 1', 'house', 'town')
//     .now('2026-12-01T10:00:00+03:00')
//     .start();
//   const anna = await host.person('Анна Петрова').resident('house-1').create();
//   const added = await host.at('house-1').by(anna).submit('', 'add-note', { text: 'Привет' });
//   assert.equal(added.notice, 'Заметка добавлена');
//   assert.ok((await host.at('house-1').page('')).shows('Анна Петрова'));
//   host.close();
//
// The runtime is the `dvor` binary: `DVOR_BIN`, else the binary that wrote this project
// (`dvor plugin new` records it below), else `dvor` on PATH.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** The dvor binary that wrote this file (`dvor plugin new` fills it in). */
const MADE_BY = '@DVOR_BIN@';

/** The `dvor` binary the kit runs. */
export function dvorBinary() {
  if (process.env.DVOR_BIN) return process.env.DVOR_BIN;
  if (!MADE_BY.startsWith('@') && existsSync(MADE_BY)) return MADE_BY;
  return 'dvor';
}

/** What the test instance is: its plugins, places, units, organizations and clock. */
export class Setup {
  constructor() {
    this.spec = { op: 'start', plugins: [], communities: [], units: [], organizations: [] };
  }

  /**
   * Load a plugin component, enabled at every root place and granted everything its manifest
   * asks for; `options` may say `enabled_for`, `grants` (as a config's `[plugins.ID.grants]`),
   * `settings`, `limits`.
   */
  plugin(wasm, options = {}) {
    this.spec.plugins.push({ wasm, ...options });
    return this;
  }

  /** A place: its id, name, kind (`settlement`, `house`, `snt`, …) and parent. */
  place(id, name, kind, parent = undefined, more = {}) {
    this.spec.communities.push({ id, name, kind, ...(parent ? { parent } : {}), ...more });
    return this;
  }

  /** A unit of a place: number, kind (`apartment`, `plot`, `non-residential`), area in m² as text. */
  unit(community, number, kind, area, more = {}) {
    this.spec.units.push({ community, number, kind, area, ...more });
    return this;
  }

  /** An organization serving places. */
  organization(id, name, kind, serves) {
    this.spec.organizations.push({ id, name, kind, serves });
    return this;
  }

  /** Stop the clock of calls at an RFC 3339 time. */
  now(rfc3339) {
    this.spec.now = rfc3339;
    return this;
  }

  /** The instance's time zone (IANA; `Europe/Moscow` by default). */
  timezone(zone) {
    this.spec.timezone = zone;
    return this;
  }

  /** Start the test host; rejects with the host's words if a plugin does not load. */
  async start() {
    const host = new TestHost();
    const started = await host.request(this.spec);
    host.plugins = started.plugins;
    host.plugin = started.plugins[0]?.id;
    return host;
  }
}

/** A running test host: one in-memory instance, ended by `close()`. */
export class TestHost {
  constructor() {
    const binary = dvorBinary();
    this.child = spawn(binary, ['plugin', 'test-host'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    this.failure = undefined;
    this.child.on('error', (e) => {
      this.failure = new Error(
        `dvor-testkit: cannot start \`${binary} plugin test-host\`: ${e.message} ` +
          '(install dvor, or point DVOR_BIN at its binary)',
      );
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    });
    this.child.on('exit', () => {
      this.failure ??= new Error('dvor-testkit: the test host ended (see its log above)');
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const next = this.waiting.shift();
      if (next) next.resolve(JSON.parse(line));
    });
  }

  /** Send one request: the `ok` value, or a rejection with the host's error. */
  async request(request) {
    const answer = await this.tryRequest(request);
    if ('error' in answer) {
      throw new Error(`dvor test host refused ${JSON.stringify(request)}: ${JSON.stringify(answer.error)}`);
    }
    return answer.ok;
  }

  /** Send one request: `{ok}` or `{error}` as the host answered. */
  tryRequest(request) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Start making a person. */
  person(name) {
    return new PersonBuilder(this, name);
  }

  /** Calls at `community`, to the first plugin loaded (another with `.to(id)`). */
  at(community) {
    return new Call(this, this.plugin, community);
  }

  /** Deliver every due event to the plugins that consume it; how many deliveries ran. */
  async deliverEvents() {
    return (await this.request({ op: 'deliver' })).delivered;
  }

  /** Every event emitted so far, oldest first: `kind`, `source`, `community`, `actor`, `payload`. */
  async events() {
    return (await this.request({ op: 'events' })).events;
  }

  /** The payloads of the events of `kind`, oldest first. */
  async eventsOf(kind) {
    return (await this.events()).filter((e) => e.kind === kind).map((e) => e.payload);
  }

  /** A person's notifications, newest first: `title`, `body` (Russian), `title_en`, `body_en`, `link`. */
  async inbox(person) {
    return this.request({ op: 'inbox', person: person.id });
  }

  /** Run job `job` of the first plugin for `community` from its first chunk to its last. */
  async runJob(job, community) {
    return this.request({ op: 'run_job', plugin: this.plugin, job, community });
  }

  /** Run the job runs plugins asked for (`jobs.request`); how many chunks ran. */
  async runRequested() {
    return (await this.request({ op: 'run_requested' })).chunks;
  }

  /** The live updates on `channel` of the first plugin at `community`: `mode`, `text`, `data`. */
  async live(community, channel) {
    return this.request({ op: 'live', plugin: this.plugin, community, channel });
  }

  /** Stop the clock at an RFC 3339 time. */
  async setClock(rfc3339) {
    await this.request({ op: 'clock', set: rfc3339 });
  }

  /** Move the stopped clock on by `ms` milliseconds. */
  async advance(ms) {
    await this.request({ op: 'clock', advance_ms: ms });
  }

  /** End the instance. */
  close() {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** A person being made: their roles and what they own. */
class PersonBuilder {
  constructor(host, name) {
    this.host = host;
    this.spec = { op: 'person', name, roles: [], owns: [] };
  }

  /** The phone number (`+79001234567`). */
  phone(phone) {
    this.spec.phone = phone;
    return this;
  }

  /** A role in a place (`resident`, `moderator`, `chairman`, …). */
  role(role, community) {
    this.spec.roles.push({ role, community });
    return this;
  }

  /** A staff role in an organization (`operator`, `executor`, …). */
  staff(role, organization) {
    this.spec.roles.push({ role, organization });
    return this;
  }

  /** A resident of a place. */
  resident(community) {
    return this.role('resident', community);
  }

  /** The instance's admin. */
  admin() {
    this.spec.roles.push({ role: 'admin' });
    return this;
  }

  /** An owner of a unit (`house-1/12`): the verified sole owner unless told otherwise. */
  owns(unit, share = [1, 1], verified = true) {
    this.spec.owns.push({ unit, share, verified });
    return this;
  }

  /** Make them: `{ id, name }`. */
  async create() {
    const made = await this.host.request(this.spec);
    return { id: made.id, name: this.spec.name };
  }
}

/** One call being made: where, by whom, in which language. */
class Call {
  constructor(host, plugin, community) {
    this.host = host;
    this.spec = { op: 'call', plugin, community, locale: 'ru' };
  }

  /** To another loaded plugin. */
  to(plugin) {
    this.spec.plugin = plugin;
    return this;
  }

  /** Signed in as `person`. */
  by(person) {
    this.spec.as = person.id;
    return this;
  }

  /** In English. */
  english() {
    this.spec.locale = 'en';
    return this;
  }

  async send(what, body) {
    const answer = await this.host.request({ ...this.spec, [what]: body });
    return answer;
  }

  async api(method, path, json) {
    const answer = await this.send('api', json === undefined ? { method, path } : { method, path, json });
    if (answer.error) {
      return { status: answer.error.status, json: { error: answer.error }, body: JSON.stringify(answer.error) };
    }
    return { status: answer.status, json: answer.json, body: answer.body };
  }

  /** `GET path` (with its query) of the plugin's API: `{ status, json, body }`. */
  get(path) {
    return this.api('GET', path);
  }

  /** `POST path` with a JSON body. */
  post(path, json) {
    return this.api('POST', path, json);
  }

  /** `PUT path` with a JSON body. */
  put(path, json) {
    return this.api('PUT', path, json);
  }

  /** `DELETE path`. */
  delete(path) {
    return this.api('DELETE', path);
  }

  /** The page at `route` as a person sees it. */
  async page(route) {
    return new PageView(await this.send('page', { route }));
  }

  /**
   * Fill in the form (or press the button) of `action` on the page at `route`, as a person
   * would: `values` are what they type, by field name.
   */
  async submit(route, action, values = {}) {
    return new Outcome(await this.send('action', { route, action, values: Object.entries(values) }));
  }

  /** The plugin's tile for the place's home page, or (`person`) the caller's own home. */
  async tile(person = false) {
    const answer = await this.send('summary', person ? 'person' : 'community');
    if (answer.error) throw new Error(`the tile failed: ${JSON.stringify(answer.error)}`);
    return answer.tile ?? undefined;
  }
}

/** A page as drawn for a person. */
export class PageView {
  constructor(answer) {
    this.error = answer.error;
    this.title = answer.page?.title ?? '';
    this.text = answer.page?.text ?? '';
    this.html = answer.page?.html ?? '';
    this.tree = answer.page?.tree;
    this.status = answer.error ? answer.error.status : 200;
  }

  /** Whether the page shows `text` (a non-breaking space matches a space). */
  shows(text) {
    const plain = (s) => s.replaceAll('\u00a0', ' ');
    return plain(this.text).includes(plain(text));
  }
}

/** What followed a form or a button: a redirect with a notice, errors next to fields, a page, or a refusal. */
export class Outcome {
  constructor(answer) {
    this.redirect = answer.redirect;
    this.notice = answer.redirect?.notice ?? undefined;
    this.errors = (answer.invalid?.errors ?? []).map((e) => [e.field, e.message]);
    this.page = answer.page ? new PageView(answer) : undefined;
    this.refused = answer.error;
  }

  /** The error shown next to `field`, if the form came back with one. */
  errorOf(field) {
    return this.errors.find(([f]) => f === field)?.[1];
  }
}
