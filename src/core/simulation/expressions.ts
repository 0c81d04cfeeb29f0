/**
 * Model expressions ("(P*eta - k*(T - T_amb)) / C") parsed once and evaluated many times, in a
 * restricted mathjs instance.
 *
 * Two layers keep an expression from reaching JavaScript or changing the instance:
 * 1. the parsed tree is checked before it is compiled: only numeric constants, symbols, the
 *    arithmetic/comparison/logical operators, parentheses, `a ? b : c` and calls of a fixed list
 *    of scalar functions are accepted. Property access (`[1].constructor`), assignment (`a=1`),
 *    function definition (`f(x)=x`), arrays, objects, strings, ranges and blocks are refused;
 * 2. the instance's dangerous functions (`import`, `createUnit`, `evaluate`, `parse`, ...) are
 *    replaced with functions that throw ConfigError 'not allowed', the pattern of the mathjs
 *    "security" page, so that even a tree the check missed cannot use them.
 *
 * Memory: the package's main entry builds mathjs's whole default instance on require (about
 * 75 MiB resident in Node 20), and `create(all)` on top of it costs a similar amount again. We
 * require mathjs's number-only factory list by path (as unit-class.ts does) and create an
 * instance from just the ~45 factories the parser and the listed functions need: about 19 MiB
 * resident, once per process, created lazily on the first compile. Should a mathjs release move
 * the factory files, the full `create(all)` instance is used instead (same restrictions).
 */
import * as path from 'node:path';
import { ConfigError, InputError, TwinError } from '../errors';

export interface CompiledExpression {
  /** The source text, as given. */
  readonly text: string;
  /** The free symbols the expression reads, in first-use order. */
  readonly symbols: readonly string[];
  /** Evaluates with the given symbol values; InputError 'not finite' for NaN/±Infinity. */
  evaluate(scope: Record<string, number>): number;
  /** The checked tree, as plain data (for unit checks). */
  readonly tree: ExprTree;
}

/** An accepted expression as plain data: only these shapes pass the check. */
export type ExprTree =
  | { kind: 'constant'; value: number }
  | { kind: 'symbol'; name: string }
  /** `fn` is the mathjs operator function name (add, multiply, smaller ...). */
  | { kind: 'operator'; fn: string; args: ExprTree[] }
  | { kind: 'call'; fn: string; args: ExprTree[] }
  | { kind: 'conditional'; condition: ExprTree; whenTrue: ExprTree; whenFalse: ExprTree };

export interface StateEquation {
  state: string;
  rhs: CompiledExpression;
}

/** Scalar functions an expression may call. */
const allowedFunctions: readonly string[] = [
  'abs', 'sign', 'sqrt', 'cbrt', 'square', 'cube', 'exp', 'expm1', 'log', 'log10', 'log2', 'log1p', 'pow', 'hypot',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh',
  'min', 'max', 'mod', 'floor', 'ceil', 'round', 'fix',
];
/** Named constants an expression may read. */
const allowedConstants: readonly string[] = ['pi', 'e', 'tau'];
/** mathjs function names behind the accepted operators. */
const allowedOperators: readonly string[] = [
  'add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus',
  'smaller', 'larger', 'smallerEq', 'largerEq', 'equal', 'unequal', 'and', 'or', 'xor', 'not',
];
/** Replaced with throwing functions after the instance is built. */
const forbiddenFunctions: readonly string[] = [
  'import', 'createUnit', 'evaluate', 'parse', 'simplify', 'simplifyConstant', 'simplifyCore', 'derivative',
  'compile', 'resolve', 'reviver', 'replacer', 'chain', 'config', 'rationalize', 'parser', 'help', 'leafCount',
  'symbolicEqual', 'unit', 'splitUnit', 'to', 'print', 'format', 'map', 'forEach', 'filter', 'apply',
];

// Minimal structural view of the mathjs nodes we inspect.
interface MathNode {
  type: string;
  compile(): { evaluate(scope?: unknown): unknown };
  [key: string]: unknown;
}
type ParseFn = (text: string) => MathNode;
type Factory = ((deps: Record<string, unknown>) => unknown) & { fn?: string; dependencies?: string[]; meta?: Record<string, unknown> };
type Instance = Record<string, unknown> & { import(obj: Record<string, unknown>, options: { override: boolean }): void };

interface Restricted {
  /** The real parser, kept before the namespace's `parse` was replaced. */
  parse: ParseFn;
  /** The instance itself (its dangerous functions throw). Exposed for tests. */
  math: Instance;
}

let restricted: Restricted | undefined;

function notAllowed(name: string): () => never {
  return () => {
    throw new ConfigError('not allowed', `function "${name}" is not allowed in expressions`);
  };
}

/** An instance from the number-only factories the parser and the allowed functions need. */
function smallInstance(): Instance {
  const cjs = path.join(path.dirname(require.resolve('mathjs/package.json')), 'lib', 'cjs');
  const { create } = require(path.join(cjs, 'core', 'create.js')) as { create(factories: Record<string, Factory>): Instance };
  const all = require(path.join(cjs, 'factoriesNumber.js')) as Record<string, Factory>;
  const byName = new Map<string, Factory>();
  for (const f of Object.values(all)) {
    if (typeof f === 'function' && typeof f.fn === 'string' && !f.meta?.isTransformFunction) byName.set(f.fn, f);
  }
  const provided = new Set(['config', 'on', 'math', 'mathWithTransform', 'classes']);
  const picked: Record<string, Factory> = {};
  const stack = ['parse', ...allowedFunctions, ...allowedConstants, ...allowedOperators];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (name in picked || provided.has(name)) continue;
    const f = byName.get(name);
    if (!f) throw new Error(`mathjs factory "${name}" not found`);
    picked[name] = f;
    for (const dep of f.dependencies ?? []) if (!dep.startsWith('?')) stack.push(dep);
  }
  return create(picked);
}

function fullInstance(): Instance {
  const mathjs = require('mathjs') as { create(f: unknown): unknown; all: unknown };
  return mathjs.create(mathjs.all) as Instance;
}

function buildRestricted(math: Instance): Restricted {
  // mathjs creates functions lazily: resolve everything we use while the namespace is intact.
  for (const name of [...allowedFunctions, ...allowedConstants, ...allowedOperators]) void math[name];
  const parse = math.parse as ParseFn;
  parse('sin(x) + 1 > 0 ? max(x, 1) : -x').compile().evaluate({ x: 1 });
  const overrides: Record<string, unknown> = {};
  for (const name of forbiddenFunctions) overrides[name] = notAllowed(name);
  math.import(overrides, { override: true });
  return { parse, math };
}

function getRestricted(): Restricted {
  if (!restricted) {
    try {
      restricted = buildRestricted(smallInstance());
    } catch {
      restricted = buildRestricted(fullInstance());
    }
  }
  return restricted;
}

/** The restricted mathjs instance (for tests: its dangerous functions must throw). */
export function restrictedMath(): Record<string, unknown> {
  return getRestricted().math;
}

/** 1-based position ("char N", like mathjs) of the first use of identifier `name` in `text`. */
function positionOf(text: string, name: string): number | undefined {
  const token = /(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_$\u00C0-\u02AF\u0370-\u03FF][\w$\u00C0-\u02AF\u0370-\u03FF]*)/g;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    if (m[2] === name) return m.index + 1;
  }
  return undefined;
}

function at(text: string, name: string, offset: number): string {
  const pos = positionOf(text, name);
  return pos === undefined ? '' : ` (char ${pos + offset})`;
}

/** Checks the tree; returns the free symbols. Throws ConfigError for anything not accepted. */
function checkTree(root: MathNode, text: string, allowed: Set<string> | undefined, offset: number, source: string): string[] {
  const symbols: string[] = [];
  const visit = (node: MathNode): void => {
    switch (node.type) {
      case 'ConstantNode':
        if (typeof node.value !== 'number') throw new ConfigError('bad expression', `only numbers are allowed as constants: "${source}"`);
        return;
      case 'SymbolNode': {
        const name = node.name as string;
        refuseReserved(name, source);
        if (allowed ? allowed.has(name) : !allowedFunctions.includes(name) && !allowedConstants.includes(name)) {
          if (!symbols.includes(name)) symbols.push(name);
          return;
        }
        if (allowedConstants.includes(name)) return;
        throw new ConfigError('unknown symbol', `unknown symbol "${name}"${at(text, name, offset)} in "${source}"`);
      }
      case 'ParenthesisNode':
        visit(node.content as MathNode);
        return;
      case 'OperatorNode': {
        const fn = node.fn as string;
        if (!allowedOperators.includes(fn)) throw new ConfigError('not allowed', `operator "${String(node.op)}" is not allowed in "${source}"`);
        for (const arg of node.args as MathNode[]) visit(arg);
        return;
      }
      case 'RelationalNode': {
        for (const fn of node.conditionals as string[]) {
          if (!allowedOperators.includes(fn)) throw new ConfigError('not allowed', `comparison "${fn}" is not allowed in "${source}"`);
        }
        for (const p of node.params as MathNode[]) visit(p);
        return;
      }
      case 'ConditionalNode':
        visit(node.condition as MathNode);
        visit(node.trueExpr as MathNode);
        visit(node.falseExpr as MathNode);
        return;
      case 'FunctionNode': {
        const fn = node.fn as MathNode;
        const name = fn.type === 'SymbolNode' ? (fn.name as string) : undefined;
        if (name === undefined || !allowedFunctions.includes(name) || allowed?.has(name)) {
          const shown = name ?? 'expression';
          const where = name ? at(text, name, offset) : '';
          const known = name !== undefined && (allowedFunctions.includes(name) || allowedConstants.includes(name) || allowed?.has(name));
          throw new ConfigError(known ? 'not allowed' : 'unknown symbol', `${known ? 'call of' : 'unknown function'} "${shown}"${where} is not allowed in "${source}"`);
        }
        for (const arg of node.args as MathNode[]) visit(arg);
        return;
      }
      case 'AssignmentNode':
        throw new ConfigError('not allowed', `assignment is not allowed in "${source}"`);
      case 'FunctionAssignmentNode':
        throw new ConfigError('not allowed', `function definition is not allowed in "${source}"`);
      case 'AccessorNode':
        throw new ConfigError('not allowed', `property access is not allowed in "${source}"`);
      default:
        throw new ConfigError('not allowed', `${node.type.replace(/Node$/, '').toLowerCase()} is not allowed in "${source}"`);
    }
  };
  visit(root);
  return symbols;
}

/** Plain-data copy of a tree that passed checkTree. */
function toTree(node: MathNode): ExprTree {
  switch (node.type) {
    case 'ConstantNode':
      return { kind: 'constant', value: node.value as number };
    case 'SymbolNode':
      return { kind: 'symbol', name: node.name as string };
    case 'ParenthesisNode':
      return toTree(node.content as MathNode);
    case 'OperatorNode':
      return { kind: 'operator', fn: node.fn as string, args: (node.args as MathNode[]).map(toTree) };
    case 'RelationalNode': {
      // a < b < c is (a < b) and (b < c)
      const params = node.params as MathNode[];
      const parts = (node.conditionals as string[]).map((fn, i): ExprTree => ({ kind: 'operator', fn, args: [toTree(params[i]), toTree(params[i + 1])] }));
      return parts.reduce((a, b) => ({ kind: 'operator', fn: 'and', args: [a, b] }));
    }
    case 'ConditionalNode':
      return { kind: 'conditional', condition: toTree(node.condition as MathNode), whenTrue: toTree(node.trueExpr as MathNode), whenFalse: toTree(node.falseExpr as MathNode) };
    case 'FunctionNode':
      return { kind: 'call', fn: (node.fn as MathNode).name as string, args: (node.args as MathNode[]).map(toTree) };
    default:
      throw new ConfigError('not allowed', `${node.type} is not allowed`);
  }
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Names that are special on every JavaScript object: a model name "__proto__" would set an object's
 * prototype instead of a value (the scope would silently lack it), so none of them is a symbol.
 */
const reservedNames: readonly string[] = ['__proto__', 'constructor', 'prototype'];

function refuseReserved(name: string, source: string): void {
  if (reservedNames.includes(name)) throw new ConfigError('bad symbol', `"${name}" cannot be a symbol name in "${source}"`);
}

function compile(text: string, allowedSymbols: string[] | undefined, offset: number, source: string): CompiledExpression {
  if (typeof text !== 'string' || text.trim() === '') throw new ConfigError('empty expression', 'the expression is empty');
  if (text.length > 10000) throw new ConfigError('expression too long', `expression of ${text.length} characters (limit 10000)`);
  let allowed: Set<string> | undefined;
  if (allowedSymbols) {
    for (const s of allowedSymbols) {
      if (typeof s !== 'string' || !identifier.test(s) || allowedFunctions.includes(s)) {
        throw new ConfigError('bad symbol', `"${String(s)}" cannot be a symbol name`);
      }
    }
    allowed = new Set(allowedSymbols);
  }
  const { parse } = getRestricted();
  let tree: MathNode;
  try {
    tree = parse(text);
  } catch (err) {
    const e = err as { message?: string; char?: number };
    const char = typeof e.char === 'number' ? e.char + offset : undefined;
    const reason = String(e.message ?? err).replace(/\s*\(char \d+\)\s*$/, '');
    throw new ConfigError('syntax error', `${reason}${char !== undefined ? ` (char ${char})` : ''} in "${source}"`);
  }
  const symbols = checkTree(tree, text, allowed, offset, source);
  const code = tree.compile();
  const run = (scope: Record<string, number>): number => {
    const values = new Map<string, number>();
    for (const name of symbols) {
      const v = Object.prototype.hasOwnProperty.call(scope, name) ? scope[name] : undefined;
      if (typeof v !== 'number') throw new InputError('missing value', `no numeric value for "${name}" in "${source}"`);
      values.set(name, v);
    }
    let result: unknown;
    try {
      result = code.evaluate(values);
    } catch (err) {
      if (err instanceof TwinError) throw err;
      throw new InputError('evaluation failed', `${(err as Error).message ?? String(err)} in "${source}"`);
    }
    if (typeof result === 'boolean') result = result ? 1 : 0;
    if (typeof result !== 'number') throw new InputError('not a number', `"${source}" did not give a number`);
    if (!Number.isFinite(result)) throw new InputError('not finite', `"${source}" gave ${result}`);
    return result;
  };
  // Dry run: wrong argument counts and types (sin(1, 2)) show up here, at configuration time.
  try {
    run(Object.fromEntries(symbols.map((s) => [s, 1])));
  } catch (err) {
    if (!(err instanceof InputError) || err.shortReason === 'evaluation failed') {
      throw new ConfigError(err instanceof TwinError && err.code === 'CONFIG' ? err.shortReason : 'bad expression', (err as Error).message);
    }
  }
  return { text, symbols: Object.freeze([...symbols]), evaluate: run, tree: toTree(tree) };
}

/**
 * Parses `text` once. Symbols must be in `allowedSymbols` or be one of the constants pi, e, tau;
 * functions must be on the scalar list above. ConfigError with "char N" for syntax errors and
 * unknown symbols.
 */
export function compileExpression(text: string, allowedSymbols: string[]): CompiledExpression {
  if (!Array.isArray(allowedSymbols)) throw new ConfigError('bad symbol', 'allowedSymbols must be a list of names');
  return compile(text, allowedSymbols, 0, text);
}

/**
 * A state equation "dX/dt = <rhs>". The state X is always an allowed symbol of the right-hand
 * side. Without `allowedSymbols`, any non-function name is accepted as a symbol (see
 * `rhs.symbols`; the caller checks them against the model).
 */
export function parseStateEquation(text: string, allowedSymbols?: string[]): StateEquation {
  if (typeof text !== 'string') throw new ConfigError('bad equation', 'the equation is not text');
  const m = /^(\s*d\s*([A-Za-z_][A-Za-z0-9_]*)\s*\/\s*d\s*t\s*=)([\s\S]*)$/.exec(text);
  if (!m || m[3].includes('=') && /(^|[^<>=!])=($|[^=])/.test(m[3])) {
    throw new ConfigError('bad equation', `expected "dX/dt = expression", got "${text}"`);
  }
  const state = m[2];
  refuseReserved(state, text);
  const allowed = allowedSymbols ? [...new Set([...allowedSymbols, state])] : undefined;
  return { state, rhs: compile(m[3], allowed, m[1].length, text) };
}
