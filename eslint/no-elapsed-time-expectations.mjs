/**
 * Tests assert behaviour, not speed: an expectation that compares an elapsed time (a difference of
 * Date.now() or performance.now() readings, or a value named like one: elapsed, took, duration,
 * latency, gap, ms, …Ms, …_MS) with toBeLessThan / toBeGreaterThan (or their OrEqual forms,
 * toBeCloseTo) passes or fails with the machine's load. Such figures belong in bench/.
 */
const COMPARISONS = new Set([
  'toBeLessThan',
  'toBeLessThanOrEqual',
  'toBeGreaterThan',
  'toBeGreaterThanOrEqual',
  'toBeCloseTo',
]);
const TIME_NAME =
  /(?:^|_)(?:elapsed|took|duration|latency|gaps?|ms|millis)$|(?:Elapsed|Took|Duration|Latency|Gaps?|Ms|Millis)$/i;

/** Date.now(), performance.now(), process.hrtime() or hrtime.bigint(). */
function isClockReading(node) {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee;
  if (callee.type === 'Identifier') return callee.name === 'hrtime';
  if (callee.type !== 'MemberExpression' || callee.computed) return false;
  const object = callee.object.type === 'Identifier' ? callee.object.name : callee.object.property?.name;
  const method = callee.property.name;
  return (
    (method === 'now' && (object === 'Date' || object === 'performance')) || object === 'hrtime' || method === 'hrtime'
  );
}

const CHILD_KEYS = [
  'left',
  'right',
  'argument',
  'arguments',
  'callee',
  'object',
  'property',
  'expressions',
  'elements',
  'test',
  'consequent',
  'alternate',
  'expression',
];

/** Child expressions, functions excepted (what they compute is not this value). */
function* children(node) {
  for (const key of CHILD_KEYS) {
    if (key === 'property' && node.type === 'MemberExpression' && !node.computed) continue;
    const child = node[key];
    for (const c of Array.isArray(child) ? child : [child]) if (c && typeof c.type === 'string') yield c;
  }
}

/** Whether `node` reads a clock, itself or through the initializers of the local variables it uses. */
function readsClock(node, sourceCode, seen) {
  if (seen.has(node)) return false;
  seen.add(node);
  if (isClockReading(node)) return true;
  if (node.type === 'Identifier') {
    const init = findVariable(sourceCode.getScope(node), node.name)?.defs[0]?.node?.init;
    return init ? readsClock(init, sourceCode, seen) : false;
  }
  for (const child of children(node)) if (readsClock(child, sourceCode, seen)) return true;
  return false;
}

/**
 * What in `node` is an elapsed time: a difference with a clock reading on a side (directly or
 * through local variables), or a name that says so.
 */
function findTime(node, sourceCode, seen = new Set()) {
  if (node.type === 'BinaryExpression' && node.operator === '-') {
    if (readsClock(node.left, sourceCode, seen) || readsClock(node.right, sourceCode, seen))
      return sourceCode.getText(node);
  }
  if (node.type === 'Identifier') {
    if (TIME_NAME.test(node.name)) return node.name;
    const init = findVariable(sourceCode.getScope(node), node.name)?.defs[0]?.node?.init;
    if (init && init.type === 'BinaryExpression' && !seen.has(init))
      return findTime(init, sourceCode, seen) && node.name;
    return undefined;
  }
  if (node.type === 'MemberExpression' && !node.computed && TIME_NAME.test(node.property.name))
    return sourceCode.getText(node);
  for (const child of children(node)) {
    const found = findTime(child, sourceCode, seen);
    if (found) return found;
  }
  return undefined;
}

function findVariable(scope, name) {
  for (let s = scope; s; s = s.upper) {
    const variable = s.set.get(name);
    if (variable) return variable;
  }
  return undefined;
}

/** The argument of the `expect(…)` call a matcher chain starts from (`expect(x).not.toBe…`). */
function expectedValue(member) {
  let object = member.object;
  while (object.type === 'MemberExpression') object = object.object;
  const isExpect =
    object.type === 'CallExpression' && object.callee.type === 'Identifier' && object.callee.name === 'expect';
  return isExpect ? object.arguments[0] : undefined;
}

export const noElapsedTimeExpectations = {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow expectations on elapsed time in tests: they fail on a busy machine' },
    messages: {
      elapsed:
        'Expectation on elapsed time ({{what}}) with {{matcher}}: assert what the code did (queries run, calls made, the event itself) and put durations in bench/.',
    },
    schema: [],
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.computed || !COMPARISONS.has(callee.property.name)) return;
        const value = expectedValue(callee);
        if (!value) return;
        const what = findTime(value, sourceCode) ?? node.arguments.map((a) => findTime(a, sourceCode)).find(Boolean);
        if (what) context.report({ node, messageId: 'elapsed', data: { what, matcher: callee.property.name } });
      },
    };
  },
};

export default { rules: { 'no-elapsed-time-expectations': noElapsedTimeExpectations } };
