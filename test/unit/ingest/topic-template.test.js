'use strict';
const assert = require('assert/strict');
const { compileTopicTemplate, splitTopic, topicMatchesFilter, isValidTopicFilter } = require('../../../dist/core/ingest/topic-template');
const { ConfigError } = require('../../../dist/core/errors');

describe('ingest topic templates', () => {
  it('derives the plain subscription filter', () => {
    assert.equal(compileTopicTemplate('plant/+line/+machine/+signal').subscription, 'plant/+/+/+');
    assert.equal(compileTopicTemplate('site/+/+asset/#').subscription, 'site/+/+/#');
    assert.equal(compileTopicTemplate('$share/twin/plant/+/+').subscription, '$share/twin/plant/+/+');
    assert.equal(compileTopicTemplate('#').subscription, '#');
  });

  it('applies the default rule: last level is the signal, the rest the asset', () => {
    const t = compileTopicTemplate('plant/+/+/+');
    const m = t.match('plant/line1/press1/temperature');
    assert.equal(m.asset, 'plant/line1/press1');
    assert.equal(m.signal, 'temperature');
    assert.deepEqual(Object.keys(m.parts), []);
    assert.equal(t.match('plant/line1/press1'), null, 'too few levels');
    assert.equal(t.match('plant/line1/press1/temperature/x'), null, 'too many levels');
    assert.equal(t.match('other/line1/press1/temperature'), null, 'literal differs');
  });

  it('returns named parts in a null-prototype object', () => {
    const m = compileTopicTemplate('plant/+line/+machine/+signal').match('plant/line1/press1/temperature');
    assert.equal(Object.getPrototypeOf(m.parts), null);
    assert.deepEqual({ ...m.parts }, { line: 'line1', machine: 'press1', signal: 'temperature' });
    assert.equal(m.asset, 'plant/line1/press1');
    assert.equal(m.signal, 'temperature');
  });

  it('uses +asset and +signal wherever they are', () => {
    const a = compileTopicTemplate('site/+/+asset/#').match('site/hall2/press1/hydraulics/pressure');
    assert.equal(a.asset, 'press1');
    assert.equal(a.signal, 'pressure');
    const s = compileTopicTemplate('plant/+signal/+machine').match('plant/temperature/press1');
    assert.equal(s.signal, 'temperature');
    assert.equal(s.asset, 'plant/press1', 'asset is the topic without the signal level');
    const both = compileTopicTemplate('+signal/+asset/raw').match('speed/drive7/raw');
    assert.deepEqual([both.asset, both.signal], ['drive7', 'speed']);
  });

  it('lets # match the parent level and any depth', () => {
    const t = compileTopicTemplate('plant/#');
    assert.deepEqual(pick(t.match('plant/a/b/c')), ['plant/a/b', 'c']);
    assert.deepEqual(pick(t.match('plant')), ['', 'plant']);
    assert.deepEqual(pick(compileTopicTemplate('#').match('temperature')), ['', 'temperature']);
  });

  it('refuses topics that cannot carry a sample', () => {
    const t = compileTopicTemplate('#');
    assert.equal(t.match(''), null);
    assert.equal(t.match('plant/press1/'), null, 'empty signal level');
    assert.equal(t.match('plant/+/x'), null);
    assert.equal(t.match('plant/#'), null);
    assert.equal(t.match('a\u0000b'), null);
    assert.equal(t.match('$SYS/broker/uptime'), null, '$ topics are not matched by a leading wildcard');
    assert.deepEqual(pick(compileTopicTemplate('$SYS/#').match('$SYS/broker/uptime')), ['$SYS/broker', 'uptime']);
    assert.equal(t.match(undefined), null);
    assert.equal(t.match(42), null);
  });

  it('refuses invalid templates with ConfigError', () => {
    for (const template of ['', '   ', 'plant/#/x', 'plant/+x+y', 'plant/a+b', 'plant/x#', 'plant/#name',
      'plant/+line/+line', 'a/+1x', 'a/+na-me', 'a/+__proto__', 'a/+constructor', 'a/+prototype',
      'a/\u0000/b', '$share/g/', 'x'.repeat(2000), undefined, 42, null]) {
      assert.throws(() => compileTopicTemplate(template), (err) => {
        assert.ok(err instanceof ConfigError, `${String(template).slice(0, 20)}: got ${err && err.name}`);
        assert.equal(err.shortReason, 'bad topic template');
        return true;
      });
    }
  });

  it('does not pollute prototypes through part names or topic levels', () => {
    const m = compileTopicTemplate('+a/+b').match('__proto__/constructor');
    assert.equal(m.parts.a, '__proto__');
    assert.equal(m.parts.b, 'constructor');
    assert.equal(({}).polluted, undefined);
  });
});

describe('ingest splitTopic', () => {
  it('splits at the last level', () => {
    assert.deepEqual(splitTopic('plant/line1/press1/temperature'), { asset: 'plant/line1/press1', signal: 'temperature' });
    assert.deepEqual(splitTopic('temperature'), { asset: '', signal: 'temperature' });
    assert.deepEqual(splitTopic('a/'), { asset: 'a', signal: '' });
    assert.deepEqual(splitTopic(undefined), { asset: '', signal: '' });
  });
});

describe('ingest topicMatchesFilter', () => {
  const cases = [
    ['plant/+/+/temperature', 'plant/line1/press1/temperature', true],
    ['plant/+/+/temperature', 'plant/line1/press1/pressure', false],
    ['+/+/press1/temperature', 'plant/line1/press1/temperature', true],
    ['plant/#', 'plant', true],
    ['plant/#', 'plant/a/b', true],
    ['plant/#', 'plantx/a', false],
    ['plant/+', 'plant', false],
    ['plant/+', 'plant/', true],
    ['+', 'temperature', true],
    ['+', 'a/b', false],
    ['#', 'a/b/c', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$share/twin/plant/+', 'plant/a', true],
    ['$share/twin/plant/+', '$share/twin/plant/a', false],
    ['$queue/plant/+', 'plant/a', true],
    ['plant/#/x', 'plant/a/x', false],
    ['plant/a+', 'plant/a+', false],
    ['', 'a', false],
    ['a', '', false],
    ['Plant/a', 'plant/a', false],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
      assert.equal(topicMatchesFilter(filter, topic), expected);
    });
  }

  it('validates filters', () => {
    assert.equal(isValidTopicFilter('a/+/#'), true);
    assert.equal(isValidTopicFilter('a/#/b'), false);
    assert.equal(isValidTopicFilter('a/b+'), false);
    assert.equal(isValidTopicFilter(''), false);
    assert.equal(isValidTopicFilter(null), false);
  });
});

function pick(m) {
  return m && [m.asset, m.signal];
}
