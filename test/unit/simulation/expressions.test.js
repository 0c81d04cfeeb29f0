'use strict';
const assert = require('assert/strict');
const { compileExpression, parseStateEquation, restrictedMath } = require('../../../dist/core/simulation/expressions');
const { TwinError, ConfigError, InputError } = require('../../../dist/core/errors');

function refused(fn, Type, reason, messageRe) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Type, `expected ${Type.name}, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

describe('simulation expressions: compileExpression', () => {
  afterEach(() => {
    assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted');
  });

  it('evaluates arithmetic with precedence, powers, unary minus and parentheses', () => {
    const c = compileExpression('(a + b) * 2 - c / 4 ^ 2 + -a', ['a', 'b', 'c']);
    assert.equal(c.evaluate({ a: 1, b: 2, c: 32 }), 3);
    assert.deepEqual([...c.symbols], ['a', 'b', 'c']);
    assert.equal(compileExpression('2x + 1', ['x']).evaluate({ x: 3 }), 7);
    assert.equal(compileExpression('7 mod 4', []).evaluate({}), 3);
  });

  it('evaluates the allowed functions and constants', () => {
    const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    close(compileExpression('sin(x)', ['x']).evaluate({ x: Math.PI / 6 }), 0.5);
    close(compileExpression('exp(x)', ['x']).evaluate({ x: 1 }), Math.E);
    assert.equal(compileExpression('min(a, b, 3)', ['a', 'b']).evaluate({ a: 5, b: 4 }), 3);
    assert.equal(compileExpression('max(a, b)', ['a', 'b']).evaluate({ a: 5, b: 4 }), 5);
    close(compileExpression('pi + e', []).evaluate({}), Math.PI + Math.E);
    close(compileExpression('sqrt(abs(x)) + log(e) + atan2(1, 1)', ['x']).evaluate({ x: -4 }), 3 + Math.PI / 4);
  });

  it('supports comparisons and a ? b : c for piecewise models', () => {
    const c = compileExpression('T > T_max ? 0 : P', ['T', 'T_max', 'P']);
    assert.equal(c.evaluate({ T: 90, T_max: 80, P: 5 }), 0);
    assert.equal(c.evaluate({ T: 70, T_max: 80, P: 5 }), 5);
    assert.equal(compileExpression('x >= 1', ['x']).evaluate({ x: 1 }), 1);
  });

  it('parses once and evaluates many times with fresh scopes', () => {
    const c = compileExpression('k * x', ['k', 'x']);
    for (let i = 0; i < 100; i++) assert.equal(c.evaluate({ k: 2, x: i }), 2 * i);
  });

  it('refuses unknown symbols, naming the symbol and its position', () => {
    refused(() => compileExpression('a + bogus * 2', ['a']), ConfigError, 'unknown symbol', /"bogus" \(char 5\)/);
    refused(() => compileExpression('2x + y', ['x']), ConfigError, 'unknown symbol', /"y" \(char 6\)/);
    refused(() => compileExpression('a + frob(a)', ['a']), ConfigError, 'unknown symbol', /"frob" \(char 5\)/);
  });

  it('reports syntax errors with the position', () => {
    refused(() => compileExpression('1 + * 2', []), ConfigError, 'syntax error', /char 5/);
    refused(() => compileExpression('(a + 1', ['a']), ConfigError, 'syntax error', /char \d+/);
    refused(() => compileExpression('   ', []), ConfigError, 'empty expression');
  });

  it('refuses wrong argument counts at compile time', () => {
    refused(() => compileExpression('sin(1, 2)', []), ConfigError);
  });

  it('refuses symbol names that are not plain identifiers or shadow functions', () => {
    refused(() => compileExpression('1', ['__proto__.x']), ConfigError, 'bad symbol');
    refused(() => compileExpression('1', ['sin']), ConfigError, 'bad symbol');
  });

  it('throws InputError "not finite" for NaN or infinite results', () => {
    const c = compileExpression('a / b', ['a', 'b']);
    refused(() => c.evaluate({ a: 1, b: 0 }), InputError, 'not finite');
    refused(() => c.evaluate({ a: NaN, b: 1 }), InputError, 'not finite');
    refused(() => compileExpression('sqrt(x)', ['x']).evaluate({ x: -1 }), InputError, 'not finite');
  });

  it('throws InputError for missing values', () => {
    refused(() => compileExpression('a + b', ['a', 'b']).evaluate({ a: 1 }), InputError, 'missing value', /"b"/);
    refused(() => compileExpression('a', ['a']).evaluate({ a: '1' }), InputError, 'missing value');
  });

  describe('security: nothing reaches JavaScript or changes the instance', () => {
    const attacks = [
      'import({polluted: 1}, {override: true})',
      'createUnit("foo")',
      'evaluate("1")',
      'parse("1")',
      'simplify("x")',
      'derivative("x^2", "x")',
      'compile("1")',
      'resolve(x)',
      'chain(1)',
      'config({number: "BigNumber"})',
      'reviver("a", 1)',
      '[1].constructor',
      'cos.constructor',
      'cos.constructor("return process")()',
      'cos["constructor"]("return process")',
      'f(x) = x',
      'a = 1',
      'x.polluted = 1',
      '{polluted: 1}',
      '"__proto__"',
      'x; 1',
      '1:3',
      'x!',
    ];
    for (const text of attacks) {
      it(`refuses ${text}`, () => {
        assert.throws(
          () => compileExpression(text, ['x']).evaluate({ x: 1 }),
          (err) => {
            assert.ok(err instanceof TwinError, `expected a TwinError, got ${err && err.name}: ${err && err.message}`);
            return true;
          },
        );
        assert.equal(({}).polluted, undefined);
        assert.equal(Object.prototype.polluted, undefined);
      });
    }

    it('the instance functions themselves throw ConfigError "not allowed"', () => {
      const math = restrictedMath();
      const calls = {
        import: () => math.import({ polluted: 1 }, { override: true }),
        createUnit: () => math.createUnit('foo'),
        evaluate: () => math.evaluate('1'),
        parse: () => math.parse('1'),
        simplify: () => math.simplify('x'),
        derivative: () => math.derivative('x^2', 'x'),
        compile: () => math.compile('1'),
        resolve: () => math.resolve('x'),
        reviver: () => math.reviver('a', 1),
        chain: () => math.chain(1),
        config: () => math.config({ number: 'BigNumber' }),
      };
      for (const [name, call] of Object.entries(calls)) {
        refused(call, ConfigError, 'not allowed');
        assert.ok(name);
      }
      // Still working after all that.
      assert.equal(compileExpression('1 + 1', []).evaluate({}), 2);
    });

    it('scope objects cannot smuggle in functions or prototype properties', () => {
      const c = compileExpression('x + 1', ['x']);
      refused(() => c.evaluate({ x: () => 1 }), InputError, 'missing value');
      const proto = Object.create({ x: 5 });
      refused(() => c.evaluate(proto), InputError, 'missing value');
    });
  });
});

describe('simulation expressions: parseStateEquation', () => {
  it('splits "dT/dt = rhs" into the state and a compiled right-hand side', () => {
    const eq = parseStateEquation('dT/dt = (P*eta - k*(T - T_amb)) / C');
    assert.equal(eq.state, 'T');
    assert.deepEqual([...eq.rhs.symbols], ['P', 'eta', 'k', 'T', 'T_amb', 'C']);
    assert.equal(eq.rhs.evaluate({ P: 100, eta: 0.5, k: 2, T: 20, T_amb: 10, C: 10 }), 3);
  });

  it('checks the right-hand side against allowed symbols (the state is always allowed)', () => {
    const eq = parseStateEquation(' d level / dt = q_in - q_out ', ['q_in', 'q_out']);
    assert.equal(eq.state, 'level');
    refused(() => parseStateEquation('dT/dt = a * T + b', ['a']), ConfigError, 'unknown symbol', /"b" \(char 17\) in "dT\/dt = a \* T \+ b"/);
  });

  it('reports syntax errors with the position in the whole equation', () => {
    refused(() => parseStateEquation('dT/dt = 1 + * 2'), ConfigError, 'syntax error', /char 13/);
  });

  it('refuses anything that is not a state equation', () => {
    for (const text of ['T = 1', 'dT/dx = 1', 'd/dt = 1', 'dT/dt', 'dT/dt = ', 'dT/dt = a = 1', 'x + 1', 'dT/dt = f(x) = x', 'dT/dt = import("x")']) {
      refused(() => parseStateEquation(text), ConfigError);
    }
    refused(() => parseStateEquation(42), ConfigError);
  });
});
