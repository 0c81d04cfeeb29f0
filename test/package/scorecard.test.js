'use strict';
// Flow Library scorecard rules that need no network, checked against the repository itself.
// Each rule is its own test so a failure names exactly what is missing.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const semver = require('semver'); // brought in by node-red (devDependency)

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeTypes = (pkg['node-red'] && pkg['node-red'].nodes) || {};
const typeNames = Object.keys(nodeTypes);

const read = (rel) => fs.readFileSync(path.join(root, rel), 'utf8');
const exists = (rel) => fs.existsSync(path.join(root, rel));

// ---- helpers ----------------------------------------------------------------------------------

// Smallest version admitted by `range` inside the given major, or null.
function minInMajor(range, major) {
  let best = null;
  for (const set of new semver.Range(range).set) {
    const sub = `${set.map((c) => c.value).join(' ')} >=${major}.0.0 <${major + 1}.0.0-0`.trim();
    const v = semver.minVersion(sub);
    if (v && semver.satisfies(v, range) && v.major === major && (!best || semver.lt(v, best))) best = v;
  }
  return best && best.version;
}

// Script blocks of an editor .html file: { attrs, type, body }.
function scriptBlocks(html) {
  const blocks = [];
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
  let m;
  while ((m = re.exec(html))) {
    const t = /\btype\s*=\s*["']([^"']+)["']/i.exec(m[1]);
    blocks.push({ attrs: m[1], type: t ? t[1].toLowerCase() : 'text/javascript', body: m[2] });
  }
  return blocks;
}

const isJs = (b) => ['text/javascript', 'application/javascript', 'module'].includes(b.type);

// Positions of code characters in JavaScript source from `start` on: strings, template literals,
// comments and regular-expression literals are skipped (a tolerant scanner, not a parser).
function* codeChars(src, start) {
  let prev = '';
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (/\s/.test(c)) continue;
    if (c === '/' && src[i + 1] === '/') { i = src.indexOf('\n', i); if (i < 0) return; continue; }
    if (c === '/' && src[i + 1] === '*') { i = src.indexOf('*/', i + 2); if (i < 0) return; i++; continue; }
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
      prev = c;
      continue;
    }
    if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\breturn$/.test(src.slice(0, i).trimEnd()))) {
      let inClass = false;
      for (i++; i < src.length; i++) {
        if (src[i] === '\\') { i++; continue; }
        if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        else if (src[i] === '/' && !inClass) break;
        else if (src[i] === '\n') break;
      }
      prev = '/';
      continue;
    }
    yield i;
    prev = c;
  }
}

// Index just past the balanced {...} starting at `open` (src[open] === '{'); -1 if unbalanced.
function matchBrace(src, open) {
  let depth = 0;
  for (const i of codeChars(src, open)) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

// Top-level `key:` literals of an object literal's source text, with the raw value text that follows.
function topLevelKeys(objSrc) {
  const keys = new Map();
  let depth = 0;
  let last = '';
  for (const i of codeChars(objSrc, 0)) {
    const c = objSrc[i];
    if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) depth--;
    else if (depth === 1 && (last === '{' || last === ',') && /[A-Za-z_$]/.test(c)) {
      const m = /^([A-Za-z_$][\w$]*)\s*:/.exec(objSrc.slice(i));
      if (m) keys.set(m[1], objSrc.slice(i + m[0].length, i + m[0].length + 200).trim());
    }
    last = c;
  }
  return keys;
}

// Every literal RED.nodes.registerType('<type>', { ... }) in an editor .html file.
function registrations(html) {
  const found = [];
  for (const b of scriptBlocks(html).filter(isJs)) {
    const re = /RED\.nodes\.registerType\(\s*(['"])([^'"]+)\1\s*,\s*\{/g;
    let m;
    while ((m = re.exec(b.body))) {
      const open = m.index + m[0].length - 1;
      const end = matchBrace(b.body, open);
      const def = end < 0 ? '' : b.body.slice(open, end);
      const keys = topLevelKeys(def);
      const str = (k) => { const v = keys.get(k); const s = v && /^(['"])([^'"]*)\1/.exec(v); return s ? s[2] : null; };
      found.push({ type: m[2], keys, category: str('category'), icon: str('icon') });
    }
  }
  return found;
}

function htmlFiles() {
  const dir = path.join(root, 'nodes');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.html')).sort() : [];
}

function allRegistrations() {
  const byType = new Map();
  for (const f of htmlFiles()) {
    for (const r of registrations(read(path.join('nodes', f)))) byType.set(r.type, { ...r, file: f });
  }
  return byType;
}

function exampleFiles() {
  const dir = path.join(root, 'examples');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}

// ---- package.json ----------------------------------------------------------------------------

describe('scorecard: package.json', function () {
  it('license is Apache-2.0 and a LICENSE file is at the top level', function () {
    assert.equal(pkg.license, 'Apache-2.0');
    const lic = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].find(exists);
    assert.ok(lic, 'no LICENSE file at the repository top level');
    const text = read(lic);
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/, `${lic} is not the Apache-2.0 text`);
    assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
  });

  it('repository.url and bugs.url are set', function () {
    assert.ok(pkg.repository && typeof pkg.repository.url === 'string', 'repository.url missing');
    assert.match(pkg.repository.url, /^(git\+)?https:\/\/\S+$/, 'repository.url is not an https URL');
    assert.ok(pkg.bugs && typeof pkg.bugs.url === 'string', 'bugs.url missing');
    assert.match(pkg.bugs.url, /^https:\/\/\S+$/, 'bugs.url is not an https URL');
  });

  it('name is scoped', function () {
    assert.match(pkg.name, /^@[a-z0-9-~][a-z0-9-._~]*\/[a-z0-9-~][a-z0-9-._~]*$/);
  });

  it('has the node-red keyword', function () {
    assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), `keywords: ${JSON.stringify(pkg.keywords)}`);
  });

  it('node-red.version admits Node-RED 4.1.x and 5.0.x', function () {
    const range = pkg['node-red'] && pkg['node-red'].version;
    assert.ok(semver.validRange(range), `node-red.version is not a semver range: ${JSON.stringify(range)}`);
    for (const v of ['4.1.0', '4.1.8', '5.0.0', '5.0.7']) assert.ok(semver.satisfies(v, range), `node-red.version "${range}" rejects ${v}`);
  });

  it('engines.node admits Node 20.x and 22.x', function () {
    const range = pkg.engines && pkg.engines.node;
    assert.ok(semver.validRange(range), `engines.node is not a semver range: ${JSON.stringify(range)}`);
    for (const major of [20, 22]) {
      const min = minInMajor(range, major);
      assert.ok(min, `engines.node "${range}" admits no ${major}.x`);
      // the newest line of each major is what users run: it must be admitted too
      assert.ok(semver.satisfies(`${major}.99.0`, range), `engines.node "${range}" rejects late ${major}.x`);
    }
  });

  it('has node-red.nodes', function () {
    assert.ok(typeNames.length > 0, 'package.json node-red.nodes is empty');
  });

  it('has at most 6 runtime dependencies', function () {
    const deps = Object.keys(pkg.dependencies || {});
    assert.ok(deps.length <= 6, `${deps.length} runtime dependencies: ${deps.join(', ')}`);
  });

  describe('runtime dependencies are pinned and admit Node 20', function () {
    const node20 = pkg.engines && semver.validRange(pkg.engines.node) ? minInMajor(pkg.engines.node, 20) : null;
    for (const [dep, spec] of Object.entries(pkg.dependencies || {})) {
      it(`${dep}@${spec}`, function () {
        assert.ok(semver.valid(spec), `${dep}: "${spec}" is not an exact version`);
        const pj = path.join(root, 'node_modules', dep, 'package.json');
        assert.ok(fs.existsSync(pj), `${dep} is not installed (run npm ci)`);
        const meta = JSON.parse(fs.readFileSync(pj, 'utf8'));
        assert.equal(meta.version, spec, `${dep}: node_modules has ${meta.version}, package.json pins ${spec}`);
        const range = meta.engines && meta.engines.node;
        if (range === undefined) return; // no engines field: no restriction
        assert.ok(semver.validRange(range), `${dep}: engines.node "${range}" is not a range`);
        assert.ok(node20, 'our engines.node admits no 20.x');
        assert.ok(semver.satisfies(node20, range), `${dep}: engines.node "${range}" rejects Node ${node20} (our lowest 20.x)`);
        assert.ok(semver.satisfies('20.99.0', range), `${dep}: engines.node "${range}" rejects late Node 20.x`);
      });
    }
  });
});

// ---- editor files, help, icons, examples -------------------------------------------------------

describe('scorecard: editor definitions (nodes/*.html)', function () {
  it('nodes/ has .html files', function () {
    assert.ok(htmlFiles().length > 0, 'no nodes/*.html');
  });

  for (const f of htmlFiles()) {
    it(`${f} parses`, function () {
      const html = read(path.join('nodes', f));
      const opens = (html.match(/<script\b/gi) || []).length;
      const closes = (html.match(/<\/script\s*>/gi) || []).length;
      assert.equal(opens, closes, `${f}: ${opens} <script> vs ${closes} </script>`);
      const blocks = scriptBlocks(html);
      const js = blocks.filter(isJs);
      assert.ok(js.length > 0, `${f}: no JavaScript <script> block`);
      js.forEach((b, i) => {
        try {
          new vm.Script(b.body, { filename: `${f}#script${i}` }); // compiles only, never runs
        } catch (e) {
          assert.fail(`${f}: script block ${i} does not parse: ${e.message}`);
        }
      });
      for (const b of blocks.filter((x) => x.type === 'text/html' || x.type === 'text/x-red')) {
        assert.match(b.attrs, /data-(template|help)-name\s*=\s*["'][^"']+["']/, `${f}: html template without data-template-name`);
      }
    });
  }

  it('the registered types equal package.json node-red.nodes', function () {
    const registered = [...allRegistrations().keys()].sort();
    assert.deepEqual(registered, [...typeNames].sort());
  });

  for (const type of typeNames) {
    it(`${type}: nodes/${path.basename(nodeTypes[type], '.js')}.html registers it with the required properties`, function () {
      const htmlRel = nodeTypes[type].replace(/\.js$/, '.html');
      assert.ok(exists(htmlRel), `${htmlRel} missing (Node-RED loads the .html beside ${nodeTypes[type]})`);
      const reg = registrations(read(htmlRel)).find((r) => r.type === type);
      assert.ok(reg, `${htmlRel} has no literal RED.nodes.registerType('${type}', {`);
      const missing = (keys) => keys.filter((k) => !reg.keys.has(k));
      assert.deepEqual(missing(['category', 'icon']), [], `${type}: missing literal keys`);
      if (reg.category === 'config') return;
      assert.ok(reg.category, `${type}: category is not a string literal`);
      assert.deepEqual(missing(['color']), [], `${type}: missing literal color:`);
      assert.ok(reg.keys.has('inputs') || reg.keys.has('outputs'), `${type}: neither inputs: nor outputs:`);
    });
  }
});

describe('scorecard: help (locales/en-US)', function () {
  for (const type of typeNames) {
    it(`${type} has help with a non-empty first paragraph`, function () {
      const rel = `locales/en-US/${type}.html`;
      assert.ok(exists(rel), `${rel} missing`);
      const help = read(rel);
      // Node-RED shows the file as is: it must carry its own <script data-help-name> wrapper.
      assert.match(help, new RegExp(`<script[^>]+data-help-name\\s*=\\s*["']${type}["']`), `${rel}: no <script type="text/html" data-help-name="${type}">`);
      const p = /<p\b[^>]*>([\s\S]*?)<\/p>/i.exec(help);
      assert.ok(p, `${rel}: no <p> paragraph`);
      const text = p[1].replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ').trim();
      assert.ok(text.length > 0, `${rel}: first paragraph is empty`);
    });
  }
});

describe('scorecard: icons', function () {
  for (const type of typeNames) {
    it(`${type} references an icon file in icons/`, function () {
      const reg = allRegistrations().get(type);
      assert.ok(reg, `${type} is not registered in any nodes/*.html`);
      assert.ok(reg.icon, `${type}: icon is not a string literal`);
      assert.ok(exists(path.join('icons', reg.icon)), `${type}: icon "${reg.icon}" not found in icons/`);
    });
  }
});

describe('scorecard: examples', function () {
  it('examples/ has at least one flow', function () {
    assert.ok(exampleFiles().length > 0, 'no examples/*.json');
  });

  for (const f of exampleFiles()) {
    it(`examples/${f} is a JSON array of nodes`, function () {
      let flow;
      try { flow = JSON.parse(read(path.join('examples', f))); } catch (e) { assert.fail(`examples/${f} is not valid JSON: ${e.message}`); }
      assert.ok(Array.isArray(flow), `examples/${f} is not an array`);
      assert.ok(flow.length > 0, `examples/${f} is empty`);
      flow.forEach((n, i) => {
        assert.ok(n && typeof n === 'object' && typeof n.id === 'string' && typeof n.type === 'string', `examples/${f}[${i}] is not a node (id, type)`);
      });
    });
  }

  it('every non-config node type is used by an example flow', function () {
    const files = exampleFiles();
    const types = new Set();
    for (const f of files) {
      try {
        const flow = JSON.parse(read(path.join('examples', f)));
        if (Array.isArray(flow)) flow.forEach((n) => n && types.add(n.type));
      } catch { /* reported by the per-file test */ }
    }
    const regs = allRegistrations();
    const nonConfig = typeNames.filter((t) => !(regs.get(t) && regs.get(t).category === 'config'));
    const unused = nonConfig.filter((t) => !types.has(t));
    assert.deepEqual(unused, [], `node types used by no examples/*.json flow: ${unused.join(', ')}`);
  });
});
