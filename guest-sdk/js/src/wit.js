// The WIT of the contract, read in JavaScript: a parser for the part of the WIT language that
// `wit/rule.wit` uses, the TypeScript declarations componentize-js's values have
// (`scripts/wit-types.mjs` writes them to `src/wit.d.ts`), and the conversion of "WIT-value
// JSON" (what `glue-rules event --typed` prints) into those values (`testing.js`).
//
// One reader of the WIT serves both so that the declarations, the test values and the contract
// cannot drift apart: a new field in `wit/rule.wit` changes the generated types (and the check
// that they are current fails until they are regenerated), and the converter then expects it in
// the binary's output.
//
// Supported: packages, interfaces, `use iface.{names}`, records, variants, enums, type aliases,
// functions, worlds with `import`/`export` of interfaces, the primitive types, `list`, `option`,
// `result` and `tuple`. Anything else (flags, resources, inline world functions...) is refused
// with its line, so that a contract change that needs more support is noticed, not mistranslated.
//
// How componentize-js represents values (and so what this module produces): records are
// objects with camelCase fields; variants are `{ tag, val }` with the case's kebab-case name
// (no `val` for a case without payload); enums are their kebab-case strings; `option<T>` is the
// value or `undefined`; `u64`/`s64` are BigInts, other numbers are numbers; `list<u8>` is a
// Uint8Array, other lists are arrays; tuples are arrays; `result<T, E>` in a value is
// `{ tag: 'ok' | 'err', val }`, and a function returning it returns T and throws E.

/** A WIT error with the place it refers to. */
class WitError extends Error {}

const PRIMITIVES = new Set([
  'bool', 's8', 's16', 's32', 's64', 'u8', 'u16', 'u32', 'u64', 'f32', 'f64', 'float32',
  'float64', 'char', 'string',
]);
const PUNCTUATION = new Set(['{', '}', '(', ')', '<', '>', ',', ':', ';', '.', '=', '@', '/', '*', '_']);

/** Splits WIT text into tokens, each with the doc comment (`///`) written just before it. */
function tokenize(text, file) {
  const tokens = [];
  let docs = [];
  let line = 1;
  let i = 0;
  const fail = (message) => { throw new WitError(`${file}:${line}: ${message}`); };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line += 1; i += 1; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i += 1; continue; }
    if (text.startsWith('///', i) && text[i + 3] !== '/') {
      const end = text.indexOf('\n', i);
      const body = text.slice(i + 3, end < 0 ? text.length : end);
      docs.push(body.startsWith(' ') ? body.slice(1) : body);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('unclosed /* comment');
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
      continue;
    }
    if (text.startsWith('->', i)) {
      tokens.push({ text: '->', line, docs });
      docs = [];
      i += 2;
      continue;
    }
    const word = /^%?[A-Za-z][A-Za-z0-9-]*|^[0-9]+(?:\.[0-9]+)*(?:[-+][A-Za-z0-9.-]+)?/.exec(text.slice(i, i + 200));
    if (word) {
      tokens.push({ text: word[0], line, docs });
      docs = [];
      i += word[0].length;
      continue;
    }
    if (PUNCTUATION.has(c)) {
      tokens.push({ text: c, line, docs });
      docs = [];
      i += 1;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)}`);
  }
  return tokens;
}

/** A WIT identifier without its `%` escape. */
function ident(text) {
  return text.startsWith('%') ? text.slice(1) : text;
}

/** `job-run-id` -> `jobRunId`: componentize-js's field, function and parameter names. */
export function camelCase(name) {
  return name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** `job-state` -> `JobState`: the type names of the declarations. */
export function pascalCase(name) {
  const camel = camelCase(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** The recursive-descent parser over the tokens of one file. */
class Parser {
  constructor(text, file) {
    this.file = file;
    this.tokens = tokenize(text, file);
    this.at = 0;
  }

  fail(message, token = this.tokens[this.at]) {
    const where = token ? `${this.file}:${token.line}` : `${this.file}: at the end`;
    throw new WitError(`${where}: ${message}`);
  }

  peek(offset = 0) {
    return this.tokens[this.at + offset]?.text;
  }

  next() {
    const token = this.tokens[this.at];
    if (token === undefined) this.fail('unexpected end of the file');
    this.at += 1;
    return token;
  }

  expect(text) {
    const token = this.next();
    if (token.text !== text) this.fail(`expected \`${text}\`, found \`${token.text}\``, token);
    return token;
  }

  eat(text) {
    if (this.peek() === text) {
      this.at += 1;
      return true;
    }
    return false;
  }

  name() {
    const token = this.next();
    if (!/^%?[A-Za-z]/.test(token.text)) this.fail(`expected a name, found \`${token.text}\``, token);
    return ident(token.text);
  }

  /** A comma-separated list up to `close`, a trailing comma allowed. */
  list(close, item) {
    const items = [];
    while (!this.eat(close)) {
      items.push(item());
      if (!this.eat(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  parseFile() {
    const model = { package: undefined, interfaces: new Map(), worlds: new Map() };
    while (this.at < this.tokens.length) {
      const token = this.next();
      switch (token.text) {
        case 'package': {
          let text = '';
          while (this.peek() !== ';') text += this.next().text;
          this.expect(';');
          const match = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)(?:@(.+))?$/.exec(text);
          if (!match) this.fail(`unreadable package name \`${text}\``, token);
          model.package = { namespace: match[1], name: match[2], version: match[3] };
          break;
        }
        case 'interface': {
          const iface = this.parseInterface(token.docs);
          model.interfaces.set(iface.name, iface);
          break;
        }
        case 'world': {
          const world = this.parseWorld(token.docs);
          model.worlds.set(world.name, world);
          break;
        }
        default:
          this.fail(`\`${token.text}\` at the top level is not supported`, token);
      }
    }
    if (model.package === undefined) this.fail('no `package` declaration');
    return model;
  }

  parseInterface(docs) {
    const iface = { name: this.name(), docs, uses: [], types: new Map(), functions: [] };
    this.expect('{');
    while (!this.eat('}')) {
      const token = this.next();
      switch (token.text) {
        case 'use': {
          const from = this.name();
          this.expect('.');
          this.expect('{');
          const names = this.list('}', () => {
            const name = this.name();
            if (this.peek() === 'as') this.fail('`use ... as` is not supported');
            return name;
          });
          this.expect(';');
          iface.uses.push({ from, names });
          break;
        }
        case 'record': {
          const name = this.name();
          this.expect('{');
          const fields = this.list('}', () => {
            const fieldDocs = this.tokens[this.at]?.docs ?? [];
            const fieldName = this.name();
            this.expect(':');
            return { name: fieldName, docs: fieldDocs, type: this.parseType() };
          });
          this.addType(iface, { kind: 'record', name, docs: token.docs, fields }, token);
          break;
        }
        case 'variant': {
          const name = this.name();
          this.expect('{');
          const cases = this.list('}', () => {
            const caseDocs = this.tokens[this.at]?.docs ?? [];
            const caseName = this.name();
            let type;
            if (this.eat('(')) {
              type = this.parseType();
              this.expect(')');
            }
            return { name: caseName, docs: caseDocs, type };
          });
          this.addType(iface, { kind: 'variant', name, docs: token.docs, cases }, token);
          break;
        }
        case 'enum': {
          const name = this.name();
          this.expect('{');
          const cases = this.list('}', () => {
            const caseDocs = this.tokens[this.at]?.docs ?? [];
            return { name: this.name(), docs: caseDocs };
          });
          this.addType(iface, { kind: 'enum', name, docs: token.docs, cases }, token);
          break;
        }
        case 'type': {
          const name = this.name();
          this.expect('=');
          const type = this.parseType();
          this.expect(';');
          this.addType(iface, { kind: 'alias', name, docs: token.docs, type }, token);
          break;
        }
        case 'flags': case 'resource': case 'include':
          this.fail(`\`${token.text}\` is not supported`, token);
          break;
        default: {
          const name = ident(token.text);
          this.expect(':');
          this.expect('func');
          this.expect('(');
          const params = this.list(')', () => {
            const paramName = this.name();
            this.expect(':');
            return { name: paramName, type: this.parseType() };
          });
          let result;
          if (this.eat('->')) result = this.parseType();
          this.expect(';');
          iface.functions.push({ name, docs: token.docs, params, result });
        }
      }
    }
    return iface;
  }

  addType(iface, type, token) {
    if (iface.types.has(type.name)) this.fail(`type \`${type.name}\` is defined twice`, token);
    iface.types.set(type.name, type);
  }

  parseWorld(docs) {
    const world = { name: this.name(), docs, imports: [], exports: [] };
    this.expect('{');
    while (!this.eat('}')) {
      const token = this.next();
      if (token.text !== 'import' && token.text !== 'export') {
        this.fail(`\`${token.text}\` in a world is not supported (only import and export of interfaces)`, token);
      }
      const name = this.name();
      if (this.peek() === ':') this.fail('functions and inline interfaces in a world are not supported');
      this.expect(';');
      (token.text === 'import' ? world.imports : world.exports).push(name);
    }
    return world;
  }

  parseType() {
    const token = this.next();
    const name = ident(token.text);
    const generic = (count) => {
      this.expect('<');
      const args = [];
      for (let i = 0; i < count; i += 1) {
        if (i > 0) this.expect(',');
        args.push(this.parseType());
      }
      this.expect('>');
      return args;
    };
    switch (name) {
      case 'list': return { kind: 'list', of: generic(1)[0] };
      case 'option': return { kind: 'option', of: generic(1)[0] };
      case 'tuple': {
        this.expect('<');
        const items = this.list('>', () => this.parseType());
        return { kind: 'tuple', items };
      }
      case 'result': {
        if (this.peek() !== '<') return { kind: 'result', ok: undefined, err: undefined };
        this.expect('<');
        const ok = this.eat('_') ? undefined : this.parseType();
        let err;
        if (this.eat(',')) err = this.parseType();
        this.expect('>');
        return { kind: 'result', ok, err };
      }
      case 'borrow': case 'own': case 'future': case 'stream':
        return this.fail(`\`${name}\` types are not supported`, token);
      default:
        if (PRIMITIVES.has(name)) return { kind: 'primitive', name };
        if (!/^[A-Za-z]/.test(name)) return this.fail(`expected a type, found \`${token.text}\``, token);
        return { kind: 'named', name };
    }
  }
}

/**
 * Reads WIT text (one file, one package) into a model: `{ package, interfaces, worlds }`, every
 * named type resolved to its definition. Throws an Error naming the file and line of anything it
 * cannot read.
 */
export function parseWit(text, file = 'rule.wit') {
  const model = new Parser(text, file).parseFile();
  // Resolve `use` and check that every named type exists, so later steps need not.
  for (const iface of model.interfaces.values()) {
    iface.scope = new Map(iface.types);
    for (const use of iface.uses) {
      const from = model.interfaces.get(use.from);
      if (from === undefined) throw new WitError(`${file}: interface ${iface.name} uses unknown interface ${use.from}`);
      for (const name of use.names) {
        const type = from.types.get(name);
        if (type === undefined) throw new WitError(`${file}: interface ${iface.name} uses unknown type ${use.from}.${name}`);
        iface.scope.set(name, type);
      }
    }
    const check = (type, where) => {
      if (type === undefined) return;
      switch (type.kind) {
        case 'named':
          if (!iface.scope.has(type.name)) throw new WitError(`${file}: ${where}: unknown type ${type.name}`);
          break;
        case 'list': case 'option': check(type.of, where); break;
        case 'tuple': type.items.forEach((item) => check(item, where)); break;
        case 'result': check(type.ok, where); check(type.err, where); break;
        default:
      }
    };
    for (const type of iface.types.values()) {
      for (const member of type.fields ?? type.cases ?? []) check(member.type, `${iface.name}.${type.name}`);
      if (type.kind === 'alias') check(type.type, `${iface.name}.${type.name}`);
    }
    for (const fn of iface.functions) {
      fn.params.forEach((param) => check(param.type, `${iface.name}.${fn.name}`));
      check(fn.result, `${iface.name}.${fn.name}`);
    }
  }
  for (const world of model.worlds.values()) {
    for (const name of [...world.imports, ...world.exports]) {
      if (!model.interfaces.has(name)) throw new WitError(`${file}: world ${world.name} names unknown interface ${name}`);
    }
  }
  return model;
}

/** The module name componentize-js gives an interface: `glue:rules/host@0.2.0`. */
export function moduleName(model, iface) {
  const { namespace, name, version } = model.package;
  return `${namespace}:${name}/${iface}${version === undefined ? '' : `@${version}`}`;
}

// ------------------------------------------------------------------------------------------
// TypeScript declarations
// ------------------------------------------------------------------------------------------

/** A JSDoc comment of `docs` lines at `indent`, or nothing when there are none. */
function jsdoc(docs, indent) {
  if (docs.length === 0) return [];
  const lines = docs.map((line) => line.replace(/\*\//g, '*\\/'));
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((line) => (line === '' ? `${indent} *` : `${indent} * ${line}`)), `${indent} */`];
}

/** The TypeScript type of a WIT type, as componentize-js represents its values. */
function tsType(type, where) {
  switch (type.kind) {
    case 'primitive':
      switch (type.name) {
        case 'bool': return 'boolean';
        case 's64': case 'u64': return 'bigint';
        case 'char': case 'string': return 'string';
        default: return 'number';
      }
    case 'named': return pascalCase(type.name);
    case 'list':
      if (type.of.kind === 'primitive' && type.of.name === 'u8') return 'Uint8Array';
      return `Array<${tsType(type.of, where)}>`;
    case 'option':
      if (type.of.kind === 'option') throw new WitError(`${where}: option<option<T>> is not supported`);
      return `${tsType(type.of, where)} | undefined`;
    case 'tuple': return `[${type.items.map((item) => tsType(item, where)).join(', ')}]`;
    case 'result': {
      const ok = type.ok === undefined ? 'undefined' : tsType(type.ok, where);
      const err = type.err === undefined ? 'undefined' : tsType(type.err, where);
      return `{ tag: 'ok', val: ${ok} } | { tag: 'err', val: ${err} }`;
    }
    default: throw new WitError(`${where}: unknown type kind ${type.kind}`);
  }
}

/** The declarations of one type definition, indented for a module body. */
function declareType(type, indent) {
  const name = pascalCase(type.name);
  const out = [...jsdoc(type.docs, indent)];
  const where = type.name;
  switch (type.kind) {
    case 'record':
      out.push(`${indent}export interface ${name} {`);
      for (const field of type.fields) {
        out.push(...jsdoc(field.docs, `${indent}  `));
        if (field.type.kind === 'option') {
          out.push(`${indent}  ${camelCase(field.name)}?: ${tsType(field.type.of, where)};`);
        } else {
          out.push(`${indent}  ${camelCase(field.name)}: ${tsType(field.type, where)};`);
        }
      }
      out.push(`${indent}}`);
      break;
    case 'variant':
      out.push(`${indent}export type ${name} =`);
      type.cases.forEach((c, i) => {
        out.push(`${indent}  | ${name}${pascalCase(c.name)}${i === type.cases.length - 1 ? ';' : ''}`);
      });
      for (const c of type.cases) {
        out.push(...jsdoc(c.docs, indent));
        out.push(`${indent}export interface ${name}${pascalCase(c.name)} {`);
        out.push(`${indent}  tag: '${c.name}';`);
        if (c.type !== undefined) out.push(`${indent}  val: ${tsType(c.type, where)};`);
        out.push(`${indent}}`);
      }
      break;
    case 'enum': {
      const cases = type.cases.map((c) => `'${c.name}'`).join(' | ');
      out.push(`${indent}export type ${name} = ${cases};`);
      break;
    }
    case 'alias':
      out.push(`${indent}export type ${name} = ${tsType(type.type, where)};`);
      break;
    default: throw new WitError(`${where}: unknown definition kind ${type.kind}`);
  }
  return out;
}

/** A function's signature as componentize-js calls or offers it: `result<T, E>` returns T. */
function signature(fn, where) {
  const params = fn.params.map((p) => `${camelCase(p.name)}: ${tsType(p.type, where)}`).join(', ');
  let result = 'void';
  if (fn.result !== undefined) {
    if (fn.result.kind === 'result') {
      result = fn.result.ok === undefined ? 'void' : tsType(fn.result.ok, where);
    } else {
      result = tsType(fn.result, where);
    }
  }
  return `${camelCase(fn.name)}(${params}): ${result}`;
}

/** Doc lines of a function plus a note on how its `result` error reaches the caller. */
function functionDocs(fn) {
  if (fn.result?.kind !== 'result') return fn.docs;
  const note = 'Returns the `ok` value; the `err` value is thrown (componentize-js turns a thrown string into `err`).';
  return fn.docs.length === 0 ? [note] : [...fn.docs, '', note];
}

/** The type names a declaration refers to that live in another interface (for `import type`). */
function foreignNames(iface) {
  const names = [];
  for (const use of iface.uses) for (const name of use.names) names.push({ from: use.from, name });
  return names;
}

/**
 * The TypeScript declarations of every interface of `model` (a `declare module` per interface,
 * named as componentize-js imports it), for a `.d.ts` file that is not itself a module. An
 * interface the world exports gets an interface type named after it (`Handler`), the shape of
 * the object the rule module must export under the interface's camelCase name.
 */
export function declarations(model, { source = 'wit/rule.wit', generator = 'scripts/wit-types.mjs' } = {}) {
  const version = model.package.version === undefined ? '' : `@${model.package.version}`;
  const out = [
    `// The types of ${source} (package ${model.package.namespace}:${model.package.name}${version}),`,
    '// as componentize-js hands them to a rule and takes them back from it.',
    `// Generated by ${generator} from the WIT: do not edit; regenerate with \`npm run wit-types\`.`,
    '',
  ];
  const exported = new Set([...model.worlds.values()].flatMap((w) => w.exports));
  for (const iface of model.interfaces.values()) {
    out.push(...jsdoc(iface.docs, ''));
    out.push(`declare module '${moduleName(model, iface.name)}' {`);
    const byInterface = new Map();
    for (const { from, name } of foreignNames(iface)) {
      if (!byInterface.has(from)) byInterface.set(from, []);
      byInterface.get(from).push(pascalCase(name));
    }
    for (const [from, names] of byInterface) {
      out.push(`  import type { ${names.join(', ')} } from '${moduleName(model, from)}';`);
    }
    for (const type of iface.types.values()) out.push(...declareType(type, '  '));
    if (exported.has(iface.name)) {
      out.push(`  /** What the rule module exports as \`${camelCase(iface.name)}\`: the \`${iface.name}\` interface. */`);
      out.push(`  export interface ${pascalCase(iface.name)} {`);
      for (const fn of iface.functions) {
        out.push(...jsdoc(functionDocs(fn), '    '));
        out.push(`    ${signature(fn, `${iface.name}.${fn.name}`)};`);
      }
      out.push('  }');
    } else {
      for (const fn of iface.functions) {
        out.push(...jsdoc(functionDocs(fn), '  '));
        out.push(`  export function ${signature(fn, `${iface.name}.${fn.name}`)};`);
      }
    }
    out.push('}', '');
  }
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------
// WIT-value JSON -> componentize-js values
// ------------------------------------------------------------------------------------------

/** An integer of WIT-value JSON too large for a JavaScript number, kept as its digits. */
class BigIntLiteral {
  constructor(text) {
    this.text = text;
  }
}

/**
 * Parses WIT-value JSON text as JSON.parse does, except that an integer a JavaScript number
 * cannot hold exactly (a `u64` beyond 2^53) is kept as its digits, so that `fromWitJson` turns
 * it into the exact BigInt.
 */
export function parseWitJson(text) {
  // The digits travel through JSON.parse as a string with this prefix (written escaped in the
  // JSON text, so the string holds a NUL no real text of an event starts with).
  const escapedPrefix = '\\u0000glue-rules-bigint:';
  const prefix = '\u0000glue-rules-bigint:';
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const number = c === '-' || (c >= '0' && c <= '9')
      ? /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))?.[0]
      : undefined;
    if (c === '"') {
      // Copy a string as it is, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (number !== undefined) {
      const exact = !/^-?\d+$/.test(number) || Number.isSafeInteger(Number(number));
      out += exact ? number : `"${escapedPrefix}${number}"`;
      i += number.length;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out, (_key, value) => (
    typeof value === 'string' && value.startsWith(prefix) ? new BigIntLiteral(value.slice(prefix.length)) : value
  ));
}

const INTEGER_RANGES = {
  s8: [-(2 ** 7), 2 ** 7 - 1], s16: [-(2 ** 15), 2 ** 15 - 1], s32: [-(2 ** 31), 2 ** 31 - 1],
  u8: [0, 2 ** 8 - 1], u16: [0, 2 ** 16 - 1], u32: [0, 2 ** 32 - 1],
};

function describeJson(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Converts `value`, WIT-value JSON of type `type` in interface `iface` (records as objects with
 * the WIT's kebab-case field names, `option` as `null` or the value, variants as
 * `{"tag": ..., "val": ...}`, enums as kebab strings, numbers as JSON numbers), into the value
 * componentize-js would pass. Strict: a missing or unknown field, an unknown case or a value of
 * the wrong type throws an Error naming its path (`event.detail.val.state`).
 */
export function fromWitJson(model, iface, type, value, path = 'value') {
  const scope = model.interfaces.get(iface)?.scope;
  if (scope === undefined) throw new WitError(`unknown interface ${iface}`);
  const fail = (expected) => {
    throw new WitError(`${path}: expected ${expected}, found ${describeJson(value)}`);
  };
  switch (type.kind) {
    case 'primitive':
      switch (type.name) {
        case 'bool':
          if (typeof value !== 'boolean') fail('true or false');
          return value;
        case 'string': case 'char':
          if (typeof value !== 'string') fail('a string');
          return value;
        case 'f32': case 'f64': case 'float32': case 'float64':
          // JSON cannot hold these three; `glue-rules event` spells them as JavaScript does.
          if (value === 'NaN') return NaN;
          if (value === 'Infinity') return Infinity;
          if (value === '-Infinity') return -Infinity;
          if (typeof value !== 'number') fail('a number');
          return value;
        case 's64': case 'u64': {
          let big;
          if (value instanceof BigIntLiteral) {
            big = BigInt(value.text);
          } else {
            if (!Number.isInteger(value)) fail(`an integer (${type.name})`);
            if (!Number.isSafeInteger(value)) {
              throw new WitError(`${path}: ${value} is too large to read exactly (parse the JSON with parseWitJson)`);
            }
            big = BigInt(value);
          }
          if (type.name === 'u64' && (big < 0n || big >= 2n ** 64n)) fail('an integer in u64');
          if (type.name === 's64' && (big < -(2n ** 63n) || big >= 2n ** 63n)) fail('an integer in s64');
          return big;
        }
        default: {
          const [min, max] = INTEGER_RANGES[type.name];
          if (!Number.isInteger(value) || value < min || value > max) fail(`an integer in ${type.name}`);
          return value;
        }
      }
    case 'list':
      if (!Array.isArray(value)) fail('an array');
      if (type.of.kind === 'primitive' && type.of.name === 'u8') {
        return Uint8Array.from(value.map((item, i) => fromWitJson(model, iface, type.of, item, `${path}[${i}]`)));
      }
      return value.map((item, i) => fromWitJson(model, iface, type.of, item, `${path}[${i}]`));
    case 'option':
      return value === null || value === undefined ? undefined : fromWitJson(model, iface, type.of, value, path);
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.items.length) fail(`an array of ${type.items.length}`);
      return type.items.map((item, i) => fromWitJson(model, iface, item, value[i], `${path}[${i}]`));
    case 'result': {
      if (value === null || typeof value !== 'object' || (value.tag !== 'ok' && value.tag !== 'err')) {
        fail('{"tag": "ok" or "err", ...}');
      }
      const inner = value.tag === 'ok' ? type.ok : type.err;
      return inner === undefined
        ? { tag: value.tag, val: undefined }
        : { tag: value.tag, val: fromWitJson(model, iface, inner, value.val, `${path}.val`) };
    }
    case 'named': {
      const def = scope.get(type.name);
      switch (def.kind) {
        case 'alias': return fromWitJson(model, iface, def.type, value, path);
        case 'enum':
          if (typeof value !== 'string' || !def.cases.some((c) => c.name === value)) {
            fail(`one of ${def.cases.map((c) => c.name).join(', ')} (${def.name})`);
          }
          return value;
        case 'variant': {
          if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.tag !== 'string') {
            fail(`{"tag": ...} (${def.name})`);
          }
          const c = def.cases.find((candidate) => candidate.name === value.tag);
          if (c === undefined) {
            throw new WitError(`${path}.tag: ${JSON.stringify(value.tag)} is not a case of ${def.name} (${def.cases.map((k) => k.name).join(', ')})`);
          }
          for (const key of Object.keys(value)) {
            if (key !== 'tag' && key !== 'val') throw new WitError(`${path}: unexpected member ${JSON.stringify(key)} in a variant`);
          }
          if (c.type === undefined) {
            if (value.val !== undefined && value.val !== null) throw new WitError(`${path}: case ${c.name} of ${def.name} has no payload`);
            return { tag: c.name };
          }
          if (!('val' in value)) throw new WitError(`${path}: case ${c.name} of ${def.name} needs a "val"`);
          return { tag: c.name, val: fromWitJson(model, iface, c.type, value.val, `${path}.val`) };
        }
        case 'record': {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`an object (${def.name})`);
          const known = new Set(def.fields.map((f) => f.name));
          for (const key of Object.keys(value)) {
            if (!known.has(key)) throw new WitError(`${path}: unexpected field ${JSON.stringify(key)} in ${def.name}`);
          }
          const out = {};
          for (const field of def.fields) {
            const fieldPath = `${path}.${field.name}`;
            if (!(field.name in value) && field.type.kind !== 'option') {
              throw new WitError(`${fieldPath}: missing (a required field of ${def.name})`);
            }
            out[camelCase(field.name)] = fromWitJson(model, iface, field.type, value[field.name], fieldPath);
          }
          return out;
        }
        default: throw new WitError(`${path}: unknown definition kind ${def.kind}`);
      }
    }
    default: throw new WitError(`${path}: unknown type kind ${type.kind}`);
  }
}

// ------------------------------------------------------------------------------------------
// componentize-js values, checked against the WIT
// ------------------------------------------------------------------------------------------

function describeValue(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Checks that `value` is what componentize-js accepts for `type` (in interface `iface`): what a
 * native test runs through, so that a decision the component would refuse (a missing field, a
 * misspelt tag, a number where a string belongs) fails the test with its path instead of trapping
 * only once built. Stricter than componentize-js in one way: a record member the WIT does not
 * declare is refused, since it is almost always a misspelt field. Throws an Error naming the path.
 */
export function checkValue(model, iface, type, value, path = 'value') {
  const scope = model.interfaces.get(iface)?.scope;
  if (scope === undefined) throw new WitError(`unknown interface ${iface}`);
  const fail = (expected) => {
    throw new WitError(`${path}: expected ${expected}, found ${describeValue(value)}`);
  };
  switch (type.kind) {
    case 'primitive':
      switch (type.name) {
        case 'bool': if (typeof value !== 'boolean') fail('a boolean'); return;
        case 'string': if (typeof value !== 'string') fail('a string'); return;
        case 'char': if (typeof value !== 'string' || Array.from(value).length !== 1) fail('one character'); return;
        case 'f32': case 'f64': case 'float32': case 'float64': if (typeof value !== 'number') fail('a number'); return;
        case 's64': case 'u64':
          if (typeof value !== 'bigint') fail(`a BigInt (${type.name})`);
          if (type.name === 'u64' && (value < 0n || value >= 2n ** 64n)) fail('a u64');
          if (type.name === 's64' && (value < -(2n ** 63n) || value >= 2n ** 63n)) fail('an s64');
          return;
        default: {
          const [min, max] = INTEGER_RANGES[type.name];
          if (!Number.isInteger(value) || value < min || value > max) fail(`an integer in ${type.name}`);
          return;
        }
      }
    case 'list':
      if (type.of.kind === 'primitive' && type.of.name === 'u8' && value instanceof Uint8Array) return;
      if (!Array.isArray(value)) fail('an array');
      value.forEach((item, i) => checkValue(model, iface, type.of, item, `${path}[${i}]`));
      return;
    case 'option':
      if (value !== undefined && value !== null) checkValue(model, iface, type.of, value, path);
      return;
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.items.length) fail(`an array of ${type.items.length}`);
      type.items.forEach((item, i) => checkValue(model, iface, item, value[i], `${path}[${i}]`));
      return;
    case 'result': {
      if (value === null || typeof value !== 'object' || (value.tag !== 'ok' && value.tag !== 'err')) fail("{ tag: 'ok' | 'err', val }");
      const inner = value.tag === 'ok' ? type.ok : type.err;
      if (inner !== undefined) checkValue(model, iface, inner, value.val, `${path}.val`);
      return;
    }
    case 'named': {
      const def = scope.get(type.name);
      switch (def.kind) {
        case 'alias': checkValue(model, iface, def.type, value, path); return;
        case 'enum':
          if (typeof value !== 'string' || !def.cases.some((c) => c.name === value)) {
            fail(`one of ${def.cases.map((c) => `'${c.name}'`).join(', ')} (${def.name})`);
          }
          return;
        case 'variant': {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`{ tag, val } (${def.name})`);
          const c = def.cases.find((candidate) => candidate.name === value.tag);
          if (c === undefined) {
            throw new WitError(`${path}.tag: ${describeValue(value.tag)} is not a case of ${def.name} (${def.cases.map((k) => `'${k.name}'`).join(', ')})`);
          }
          if (c.type !== undefined) checkValue(model, iface, c.type, value.val, `${path}.val`);
          return;
        }
        case 'record': {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`an object (${def.name})`);
          const fields = new Map(def.fields.map((f) => [camelCase(f.name), f]));
          for (const key of Object.keys(value)) {
            if (!fields.has(key)) {
              throw new WitError(`${path}: ${def.name} has no field ${JSON.stringify(key)} (its fields: ${[...fields.keys()].join(', ')})`);
            }
          }
          for (const [key, field] of fields) {
            if (value[key] === undefined && field.type.kind !== 'option') {
              throw new WitError(`${path}.${key}: missing (a required field of ${def.name})`);
            }
            checkValue(model, iface, field.type, value[key], `${path}.${key}`);
          }
          return;
        }
        default: throw new WitError(`${path}: unknown definition kind ${def.kind}`);
      }
    }
    default: throw new WitError(`${path}: unknown type kind ${type.kind}`);
  }
}

/**
 * A copy of `value` (already checked with `checkValue`) with every record field present, an
 * absent `option` field as `undefined`: the shape componentize-js passes, so that a hand-built
 * value and one it delivers compare equal with `assert.deepStrictEqual`.
 */
export function completeValue(model, iface, type, value) {
  const scope = model.interfaces.get(iface).scope;
  switch (type.kind) {
    case 'list':
      return value instanceof Uint8Array ? value : value.map((item) => completeValue(model, iface, type.of, item));
    case 'option':
      return value === undefined || value === null ? undefined : completeValue(model, iface, type.of, value);
    case 'tuple':
      return type.items.map((item, i) => completeValue(model, iface, item, value[i]));
    case 'result': {
      const inner = value.tag === 'ok' ? type.ok : type.err;
      return { tag: value.tag, val: inner === undefined ? undefined : completeValue(model, iface, inner, value.val) };
    }
    case 'named': {
      const def = scope.get(type.name);
      switch (def.kind) {
        case 'alias': return completeValue(model, iface, def.type, value);
        case 'variant': {
          const c = def.cases.find((candidate) => candidate.name === value.tag);
          return c.type === undefined ? { tag: c.name } : { tag: c.name, val: completeValue(model, iface, c.type, value.val) };
        }
        case 'record':
          return Object.fromEntries(def.fields.map((field) => {
            const key = camelCase(field.name);
            return [key, completeValue(model, iface, field.type, value[key])];
          }));
        default: return value;
      }
    }
    default: return value;
  }
}
