import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatTime, parseRoute, prettyJson, routeHash, severityClass} from '../js/format.js';
import {parseSseBlock} from '../js/api.js';

test('routes round-trip with their filters', () => {
  const hash = routeHash('findings', [], {severity: 'HIGH', q: 'a b&c', empty: ''});
  assert.equal(hash, '#/findings?severity=HIGH&q=a+b%26c');
  const r = parseRoute(hash);
  assert.equal(r.page, 'findings');
  assert.equal(r.params.get('q'), 'a b&c');
  assert.equal(r.params.get('empty'), null);
  assert.deepEqual(parseRoute('#/finding/abc-1').rest, ['abc-1']);
  assert.equal(parseRoute('').page, 'overview');
});

test('times show in UTC to the second', () => {
  assert.equal(formatTime('2026-11-26T21:40:01.123Z'), '2026-11-26 21:40:01Z');
  assert.equal(formatTime(''), '—');
  assert.equal(formatTime('not a time'), 'not a time');
});

test('severity classes are fixed names, never the value itself', () => {
  assert.equal(severityClass('HIGH'), 'sev-high');
  assert.equal(severityClass('" onmouseover="x'), 'sev-unknown');
});

test('evidence is pretty-printed when it is JSON', () => {
  assert.equal(prettyJson('{"a":1}'), '{\n  "a": 1\n}');
  assert.equal(prettyJson('<b>'), '<b>');
});

test('server-sent event blocks parse', () => {
  assert.deepEqual(parseSseBlock('id: 42\nevent: finding\ndata: {"id":"x"}'), {type: 'finding', id: '42', data: {id: 'x'}});
  assert.deepEqual(parseSseBlock(': heartbeat'), {type: null, id: '', data: null});
});
