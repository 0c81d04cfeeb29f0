'use strict';
/**
 * Hostile messages for the fuzz tests (fast-check arbitraries), shared by every node.
 *
 * A message is `{topic, payload, ...extra}`: the topic drawn from the node's real topics or from
 * garbage, the payload from fc.anything (every exotic flag on), special numbers, numbers as text,
 * binary buffers, prototype keys, deep nesting (built iteratively), huge strings (rare), and above
 * all mutations of good messages (a field deleted, replaced, turned into text, NaN ...), which
 * reach deeper into a node than pure noise.
 *
 * Everything is built from fast-check primitives, so a failing message shrinks (a huge string's
 * length, a deep nest's depth, the mutation list ...) and replays from (seed, path).
 */
const fc = require('fast-check');

// ------------------------------------------------------------------ leaves

const SPECIAL_NUMBERS = [NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 5e-324,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31), 2 ** 53, 0.1 + 0.2, 1e-300, 4294967296];
const specialNumber = fc.constantFrom(...SPECIAL_NUMBERS);

/** Numbers written as text, valid and not. */
const numberString = fc.oneof(
  fc.double().map(String),
  fc.integer().map((n) => ` ${n} `),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1e308', '1e309', '-1e400', '1e-400', '0x1F', '0b101', '0o17', '1_000', '12,5', '1.2.3',
    '', ' ', '\t\n', '+', '-', '.', 'e5', '5e', '٣', '１２', '1e+308', '00012', '-.5', '.5e-2', '9007199254740993', '123456789012345678901234567890'),
);

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];
const protoKey = fc.constantFrom(...PROTO_KEYS);

/** Text: plain, any code unit (lone surrogates included), control characters, injection-looking. */
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: protoKey },
  { weight: 2, arbitrary: numberString },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDFFF\uD800', '\u202E', '😀', '../../etc/passwd', '${{7*7}}', '{{constructor.constructor}}', '<script>', '%s%s%n', 'a/b/c', '/', '//', '#', '+', '**', '*', 'line1/*/speedSetpoint', ' '.repeat(300), 'é'.repeat(2000)) },
);

// fc.anything with every exotic kind of value on.
const anythingOptions = {
  withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true,
  withTypedArray: true, withSparseArray: true, withBoxedValues: true, maxDepth: 4, maxKeys: 6,
};
const anything = fc.anything(anythingOptions);

/** A small hostile value for one field: what a mutation puts in place of the good one. */
const hostileValue = fc.oneof(
  { weight: 5, arbitrary: fc.anything({ ...anythingOptions, maxDepth: 2, maxKeys: 4 }) },
  { weight: 4, arbitrary: specialNumber },
  { weight: 3, arbitrary: numberString },
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(null, undefined, true, false, '', [], {}, [[]], [null], 0n, -1n, 2n ** 70n) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: false }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)) },
);

// ------------------------------------------------------------------ binary

/** Bytes that are not valid UTF-8 (stray continuation bytes, overlong forms, truncated sequences, surrogates). */
const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

const buffer = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)) },
  // valid UTF-8 of something a node might read: JSON, a number, text with a unit; sometimes with a BOM
  { weight: 4, arbitrary: fc.tuple(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), numberString, fc.constantFrom('1.2 bar', '{"value": 3, "unit": "degC"}', 'true', 'null')), fc.boolean())
    .map(([text, bom]) => Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')])) },
  // valid text with invalid bytes spliced in
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([text, bad, at]) => {
    const b = Buffer.from(text, 'utf8');
    const i = b.length ? at % (b.length + 1) : 0;
    return Buffer.concat([b.subarray(0, i), Buffer.from(bad), b.subarray(i)]);
  }) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.alloc(65536, 0x20), Buffer.alloc(70000, 0x31)) },
  // other binary containers
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((a) => a.buffer) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((a) => new DataView(a.buffer)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((a) => ({ type: 'Buffer', data: Array.from(a) })) },
);

/** Mutations of binary data: flip, cut, extend, splice random bytes. */
function mutateBytes(bytesArb) {
  return fc.tuple(bytesArb, fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'extend', 'set', 'dup'), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
    .map(([bytes, edits]) => {
      let b = Buffer.from(bytes);
      for (const [op, at, byte] of edits) {
        const i = b.length ? at % b.length : 0;
        if (op === 'flip' && b.length) b[i] ^= 1 << (byte % 8);
        else if (op === 'set' && b.length) b[i] = byte;
        else if (op === 'cut') b = b.subarray(0, i);
        else if (op === 'extend') b = Buffer.concat([b, Buffer.from([byte, byte ^ 0xff, 0x08, 0x01])]);
        else if (op === 'dup') b = Buffer.concat([b, b.subarray(i)]);
      }
      return b;
    });
}

// ------------------------------------------------------------------ huge and deep

const HUGE_PATTERNS = ['x', '9', ' ', 'é', '😀', '{"a":', '[', '\\', 'line1/'];
/**
 * A string of 1 to 5 MB (text, digits, an unterminated JSON opening, surrogate pairs ...). Made
 * by repeat, so generating one is cheap; its length shrinks.
 */
const hugeString = fc.record({
  length: fc.integer({ min: 1_000_000, max: 5_000_000 }),
  pattern: fc.constantFrom(...HUGE_PATTERNS),
  prefix: fc.constantFrom('', '{"value": "', '42 ', 'plant/line1/'),
}).map(({ length, pattern, prefix }) => prefix + pattern.repeat(Math.ceil(length / pattern.length)));

/**
 * Deep nesting, 50 to 2000 levels, built iteratively (no recursion in the generator): objects,
 * arrays, both alternating, own __proto__ keys at every level, or the same as JSON text.
 */
const deepNest = fc.record({
  depth: fc.integer({ min: 50, max: 2000 }),
  shape: fc.constantFrom('object', 'array', 'mixed', 'proto', 'value', 'json-text'),
  leaf: fc.oneof(specialNumber, fc.constantFrom(null, 'leaf', true, 1)),
}).map(({ depth, shape, leaf }) => {
  if (shape === 'json-text') {
    return '{"value":'.repeat(depth) + JSON.stringify(typeof leaf === 'number' && !Number.isFinite(leaf) ? 0 : leaf) + '}'.repeat(depth);
  }
  let v = leaf;
  for (let i = 0; i < depth; i++) {
    if (shape === 'object') v = { a: v };
    else if (shape === 'array') v = [v];
    else if (shape === 'mixed') v = i % 2 ? [v, i] : { a: v, n: i };
    else if (shape === 'value') v = { value: v, signal: 's', asset: 'a' };
    else {
      const o = JSON.parse('{"__proto__": null}');
      o.__proto__ = v; // an own property named __proto__ (JSON.parse made it one), not the prototype
      v = o;
    }
  }
  return v;
});

/** Own `__proto__` / `constructor.prototype` keys, as JSON.parse makes them. */
const protoPayload = fc.record({
  key: fc.constantFrom('polluted', 'isAdmin', 'value', 'signal', 'toString', 'length'),
  value: fc.oneof(fc.constant(true), fc.constant(1), hostileString),
  form: fc.constantFrom('proto', 'constructor', 'nested', 'array', 'text', 'mixed'),
}).map(({ key, value, form }) => {
  const v = JSON.stringify(value === undefined ? null : value);
  const json = {
    proto: `{"__proto__": {"${key}": ${v}}}`,
    constructor: `{"constructor": {"prototype": {"${key}": ${v}}}}`,
    nested: `{"a": {"b": {"__proto__": {"${key}": ${v}}}}, "value": 1}`,
    array: `[{"__proto__": {"${key}": ${v}}}, {"constructor": {"prototype": {"${key}": ${v}}}}]`,
    mixed: `{"value": 1, "asset": "a", "signal": "s", "__proto__": {"${key}": ${v}}, "constructor": {"prototype": {"${key}": ${v}}}}`,
  };
  if (form === 'text') return `{"__proto__": {"${key}": ${v}}, "value": 1}`;
  return JSON.parse(json[form]);
});

/** Any hostile payload (without the rare huge strings and deep nests, which callers weight themselves). */
const hostilePayload = fc.oneof(
  { weight: 30, arbitrary: anything },
  { weight: 8, arbitrary: specialNumber },
  { weight: 6, arbitrary: numberString },
  { weight: 6, arbitrary: hostileString },
  { weight: 8, arbitrary: buffer },
  { weight: 6, arbitrary: protoPayload },
  { weight: 4, arbitrary: fc.constantFrom(undefined, null, '', [], {}, true, false, 0) },
  { weight: 2, arbitrary: fc.array(hostileValue, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.dictionary(hostileString, hostileValue, { maxKeys: 5 }) },
);

// ------------------------------------------------------------------ mutations of good messages

/** Every place in a message a mutation can hit: [parent, key] pairs, walked iteratively. */
function placesIn(msg) {
  const places = [];
  const stack = [[msg, 0]];
  while (stack.length && places.length < 300) {
    const [obj, depth] = stack.pop();
    const keys = Array.isArray(obj) ? obj.map((_, i) => i) : Object.keys(obj);
    for (const k of keys) {
      if (obj === msg && k === '_msgid') continue;
      places.push([obj, k]);
      const v = obj[k];
      if (depth < 8 && v !== null && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
        stack.push([v, depth + 1]);
      }
    }
  }
  return places;
}

/** JSON text of anything (BigInt, cycles and symbols fall back to String). */
function safeJson(v) {
  try {
    const text = JSON.stringify(v);
    return text === undefined ? String(v) : text;
  } catch {
    try {
      return String(v);
    } catch {
      return '[object]';
    }
  }
}

function withOwnProto(value, key) {
  const o = JSON.parse(`{"__proto__": {"${key}": true}}`);
  if (value && typeof value === 'object' && !Array.isArray(value)) for (const k of Object.keys(value)) o[k] = value[k];
  return o;
}

function swapType(v) {
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v.length ? [v] : 0;
  if (Array.isArray(v)) return Object.assign({}, v);
  if (v && typeof v === 'object') return safeJson(v);
  return { value: v };
}

const MUTATIONS = ['delete', 'replace', 'replace', 'replace', 'text', 'special', 'wrap', 'proto', 'nullproto', 'swap', 'long', 'empty', 'buffer'];
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom(...MUTATIONS),
  value: hostileValue,
  special: specialNumber,
  key: fc.constantFrom('polluted', 'value', 'signal', 'id', 'key'),
  // how long 'long' makes a text or list: shrinks towards just over 2 KB
  size: fc.integer({ min: 2100, max: 40000 }),
});

function applyMutation(msg, m) {
  const places = placesIn(msg);
  if (places.length === 0) return;
  const [parent, key] = places[m.at % places.length];
  const old = parent[key];
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = m.value;
      break;
    case 'text':
      parent[key] = typeof old === 'string' ? `${old} ` : typeof old === 'number' ? String(old) : safeJson(old);
      break;
    case 'special':
      parent[key] = m.special;
      break;
    case 'wrap':
      parent[key] = [old];
      break;
    case 'proto':
      parent[key] = withOwnProto(old, m.key);
      break;
    case 'nullproto':
      parent[key] = old && typeof old === 'object' && !Array.isArray(old) ? Object.assign(Object.create(null), old) : Object.create(null);
      break;
    case 'swap':
      parent[key] = swapType(old);
      break;
    case 'long':
      parent[key] = typeof old === 'string' && old.length ? old.repeat(Math.ceil(m.size / old.length)).slice(0, m.size) : Array.isArray(old) ? Array.from({ length: m.size }, (_, i) => old[i % Math.max(1, old.length)]) : 'z'.repeat(m.size);
      break;
    case 'empty':
      parent[key] = Array.isArray(old) ? [] : typeof old === 'string' ? '' : old && typeof old === 'object' ? {} : 0;
      break;
    case 'buffer':
      parent[key] = Buffer.from(typeof old === 'string' ? old : safeJson(old));
      break;
  }
}

/** Plain-data copy (good seeds are JSON plus Buffers): the mutations never touch the seed. */
function copy(value) {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copy);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = copy(value[k]);
    return out;
  }
  return value;
}

/** A good message with one to four mutations. `good` is an arbitrary of good messages. */
function mutated(good) {
  return fc.tuple(good, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([msg, mutations]) => {
    const m = copy(msg);
    for (const mu of mutations) applyMutation(m, mu);
    return m;
  });
}

// ------------------------------------------------------------------ topics and messages

/**
 * A topic: one of the node's own (most often), the same with case or space changed, a signal key,
 * text garbage, or not a string at all.
 */
function topicArb(topics, keys = []) {
  const own = fc.constantFrom(...topics);
  const arbs = [
    { weight: 12, arbitrary: own },
    { weight: 2, arbitrary: own.chain((t) => fc.constantFrom(t.toUpperCase(), ` ${t}`, `${t} `, `${t}\u0000`, `${t}/`, `${t}/x`, t.slice(0, -1))) },
    { weight: 3, arbitrary: hostileString },
    { weight: 1, arbitrary: protoKey },
    { weight: 2, arbitrary: fc.oneof(specialNumber, fc.constantFrom(null, true, 0, [], {}, ['get'], { topic: 'get' }), fc.anything({ maxDepth: 1 })) },
  ];
  if (keys.length) arbs.push({ weight: 5, arbitrary: fc.constantFrom(...keys) });
  return fc.oneof(...arbs);
}

/** Extra message fields: the ones the node reads, random ones, and an own __proto__ on the message. */
function extrasArb(fields = []) {
  const names = fc.oneof(
    ...(fields.length ? [{ weight: 3, arbitrary: fc.constantFrom(...fields) }] : []),
    { weight: 1, arbitrary: fc.constantFrom('constructor', 'prototype', 'toString', 'valueOf', 'parts', 'headers', 'timeLimit', 'format') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).filter((k) => !RESERVED.has(k)) },
  );
  return fc.dictionary(names, hostileValue, { maxKeys: 3 });
}

/**
 * Keys left out of generated message tops: they are Node-RED's own (`_msgid`, the http `req` /
 * `res` cloneMessage skips, `error` handleError reads, `hasOwnProperty` it calls), so garbage there
 * tests Node-RED, not the node.
 */
const RESERVED = new Set(['_msgid', 'req', 'res', 'error', 'hasOwnProperty', '__proto__']);

/**
 * Hostile messages for one node.
 *  - topics: the node's topics; keys: signal keys it knows; fields: extra msg fields it reads;
 *  - good: arbitrary of good messages (seeds for the mutations, and sent as they are);
 *  - payloads: node-specific payload arbitraries mixed into the noise (e.g. Sparkplug bytes);
 *  - weights: override the mix (per 1000 messages).
 */
function messageArb({ topics, keys = [], fields = [], good, payloads = [], weights = {} }) {
  const w = { good: 120, mutated: 380, noise: 440, topicOnly: 30, deep: 20, huge: 2, protoTop: 8, ...weights };
  const payload = payloads.length ? fc.oneof({ weight: 3, arbitrary: hostilePayload }, ...payloads.map((p) => ({ weight: 1, arbitrary: p }))) : hostilePayload;
  const topic = topicArb(topics, keys);
  const withExtras = (base) => fc.tuple(base, fc.option(extrasArb(fields), { freq: 4 })).map(([msg, extra]) => {
    if (!extra) return msg;
    const out = { ...msg };
    for (const k of Object.keys(extra)) if (!RESERVED.has(k)) out[k] = extra[k];
    return out;
  });
  return fc.oneof(
    // (fc.record may build objects without a prototype: good messages are made plain, like JSON)
    { weight: w.good, arbitrary: good.map(copy) },
    { weight: w.mutated, arbitrary: withExtras(mutated(good)) },
    // noise: topic and payload each possibly missing
    { weight: w.noise, arbitrary: withExtras(fc.record({ topic, payload }, { requiredKeys: [] })) },
    { weight: w.topicOnly, arbitrary: topic.map((t) => ({ topic: t })) },
    { weight: w.deep, arbitrary: fc.tuple(topic, deepNest, fc.boolean(), good).map(([t, nest, inGood, g]) => (inGood && g && typeof g.payload === 'object' && g.payload !== null && !Buffer.isBuffer(g.payload) ? { ...copy(g), payload: { ...copy(g.payload), [Object.keys(g.payload)[0] ?? 'value']: nest } } : { topic: t, payload: nest })) },
    { weight: w.huge, arbitrary: fc.tuple(topic, hugeString, fc.constantFrom('payload', 'topic', 'field')).map(([t, s, where]) => (where === 'payload' ? { topic: t, payload: s } : where === 'topic' ? { topic: s, payload: 1 } : { topic: t, payload: { value: s, key: s, id: s, signal: 's' } })) },
    // an own __proto__ / constructor at the top of the message itself
    { weight: w.protoTop, arbitrary: fc.tuple(good, protoPayload).map(([g, p]) => {
      const m = JSON.parse('{"__proto__": {"polluted": "top"}, "constructor": {"prototype": {"polluted": "top"}}}');
      Object.assign(m, copy(g));
      if (!Buffer.isBuffer(g.payload) && g.payload && typeof g.payload === 'object') m.payload = Object.assign(p && typeof p === 'object' && !Array.isArray(p) ? p : {}, copy(g.payload));
      return m;
    }) },
  );
}

module.exports = {
  fc,
  SPECIAL_NUMBERS,
  specialNumber,
  numberString,
  hostileString,
  hostileValue,
  hostilePayload,
  anything,
  buffer,
  mutateBytes,
  hugeString,
  deepNest,
  protoPayload,
  mutated,
  topicArb,
  messageArb,
  copy,
};
