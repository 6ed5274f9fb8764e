// An endpoint's filter: which of the events it subscribes to it receives, judged on the event's
// attributes and payload. A filter is JSON data in the style of MongoDB's query operators (as in
// Hookdeck Outpost's and Convoy's filters): checked once when it is saved, compiled once into a
// closure, and evaluated in-process at fan-out without parsing anything but the payload.
import { invalid } from "./errors.ts";

/** A filter document as stored and shown: `{ "<path>": <value or operators>, "$and": [...], ... }`. */
export type FilterDoc = { [key: string]: unknown };

/** What a filter sees of an event. Null attributes count as missing. `payload` is the parsed payload. */
export interface FilterSubject {
  type: string;
  severity: string | null;
  fingerprint: string | null;
  state: string | null;
  payload: unknown;
}

/** True when the event passes the filter (the endpoint receives it). Never throws. */
export type CompiledFilter = (subject: FilterSubject) => boolean;

export const FILTER_LIMITS = {
  /** Nesting of filters within $and, $or and $not (the document itself is 1). */
  maxDepth: 8,
  /** Conditions in all: each operator, each $and/$or/$not, each value of $in and $nin. */
  maxNodes: 64,
  /** The filter as compact JSON, in bytes. */
  maxBytes: 4096,
} as const;

/** The attributes a path may start with. */
export const FILTER_ROOTS = ["type", "severity", "fingerprint", "state", "payload"] as const;

const FIELD_OPERATORS = ["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$prefix", "$not"] as const;
const LOGICAL_OPERATORS = ["$and", "$or", "$not"] as const;

const OPERATOR_LIST = FIELD_OPERATORS.join(", ");

type Scalar = string | number | boolean | null;

const MISSING = Symbol("missing");
type Found = unknown | typeof MISSING;

/** JSON Pointer token (RFC 6901) for a member name. */
const token = (k: string) => k.replaceAll("~", "~0").replaceAll("/", "~1");

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const isScalar = (v: unknown): v is Scalar => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/**
 * Checks a filter as a client sent it and returns it unchanged; a 400 names the exact place, e.g.
 * `/filter/$and/1/payload.score/$gt`. `at` is the JSON Pointer of the filter in the request.
 */
export function checkFilter(v: unknown, at = "/filter"): FilterDoc {
  if (!isPlainObject(v)) throw invalid(at, 'must be an object of conditions, e.g. {"payload.severity": {"$in": ["high", "critical"]}}, or null for none');
  const bytes = Buffer.byteLength(JSON.stringify(v));
  if (bytes > FILTER_LIMITS.maxBytes) throw invalid(at, `is ${bytes} bytes as JSON; the limit is ${FILTER_LIMITS.maxBytes}`);
  const count = { nodes: 0 };
  checkDoc(v, at, 1, count);
  return v;
}

function countNode(count: { nodes: number }, at: string, n = 1): void {
  count.nodes += n;
  if (count.nodes > FILTER_LIMITS.maxNodes) throw invalid(at, `makes the filter hold more than ${FILTER_LIMITS.maxNodes} conditions`);
}

function checkDoc(doc: Record<string, unknown>, at: string, depth: number, count: { nodes: number }): void {
  if (depth > FILTER_LIMITS.maxDepth) throw invalid(at, `nests filters deeper than ${FILTER_LIMITS.maxDepth} levels`);
  const keys = Object.keys(doc);
  if (keys.length === 0) throw invalid(at, "is an empty filter: give at least one condition (a filter of none is null)");
  for (const key of keys) {
    const here = `${at}/${token(key)}`;
    const value = doc[key];
    if (key.startsWith("$")) {
      if (key === "$and" || key === "$or") {
        countNode(count, here);
        if (!Array.isArray(value) || value.length === 0) throw invalid(here, "must be a non-empty array of filters");
        value.forEach((f, i) => {
          if (!isPlainObject(f)) throw invalid(`${here}/${i}`, "must be a filter (an object of conditions)");
          checkDoc(f, `${here}/${i}`, depth + 1, count);
        });
      } else if (key === "$not") {
        countNode(count, here);
        if (!isPlainObject(value)) throw invalid(here, "must be a filter (an object of conditions)");
        checkDoc(value, here, depth + 1, count);
      } else {
        throw invalid(here, `is not an operator at this place: use ${LOGICAL_OPERATORS.join(", ")}, or a path such as payload.severity`);
      }
      continue;
    }
    checkPath(key, here);
    checkCondition(value, here, count);
  }
}

function checkPath(path: string, at: string): void {
  const segments = path.split(".");
  if (!(FILTER_ROOTS as readonly string[]).includes(segments[0]!)) {
    throw invalid(at, `is not a path this filter can read: start with ${FILTER_ROOTS.join(", ")} (payload.… for the payload's members)`);
  }
  if (segments[0] !== "payload" && segments.length > 1) throw invalid(at, `${segments[0]} has no members`);
  if (segments.some((s) => s === "")) throw invalid(at, "has an empty segment: separate members with single dots (payload.asset.env)");
}

function checkCondition(value: unknown, at: string, count: { nodes: number }): void {
  if (isScalar(value)) {
    countNode(count, at);
    return;
  }
  if (!isPlainObject(value)) {
    throw invalid(at, `must be a string, number, boolean or null to compare with, or an object of operators (${OPERATOR_LIST}); for a list use $in`);
  }
  const ops = Object.keys(value);
  if (ops.length === 0) throw invalid(at, `needs at least one operator (${OPERATOR_LIST})`);
  for (const op of ops) {
    const here = `${at}/${token(op)}`;
    const operand = value[op];
    countNode(count, here);
    switch (op) {
      case "$eq":
      case "$ne":
        if (!isScalar(operand)) throw invalid(here, "must be a string, number, boolean or null");
        break;
      case "$in":
      case "$nin":
        if (!Array.isArray(operand) || operand.length === 0) throw invalid(here, "must be a non-empty array of strings, numbers, booleans or nulls");
        operand.forEach((x, i) => {
          if (!isScalar(x)) throw invalid(`${here}/${i}`, "must be a string, number, boolean or null");
        });
        countNode(count, here, operand.length);
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        if (typeof operand !== "number" || !Number.isFinite(operand)) throw invalid(here, "must be a number");
        break;
      case "$exists":
        if (typeof operand !== "boolean") throw invalid(here, "must be true or false");
        break;
      case "$prefix":
        if (typeof operand !== "string") throw invalid(here, "must be a string");
        break;
      case "$not":
        if (!isPlainObject(operand)) throw invalid(here, `must be an object of operators (${OPERATOR_LIST})`);
        checkCondition(operand, here, count);
        break;
      default:
        throw invalid(here, `is not an operator: use ${OPERATOR_LIST}`);
    }
  }
}

type Getter = (s: FilterSubject) => Found;
type ValueTest = (v: Found) => boolean;
type Test = (s: FilterSubject) => boolean;

/**
 * Compiles a checked filter (checkFilter) into a closure: paths split once, operators resolved once,
 * $in lists turned into sets. Evaluating it allocates nothing.
 */
export function compileFilter(doc: FilterDoc): CompiledFilter {
  return compileDoc(doc);
}

function compileDoc(doc: FilterDoc): Test {
  const tests: Test[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === "$and") tests.push(all((value as FilterDoc[]).map(compileDoc)));
    else if (key === "$or") tests.push(any((value as FilterDoc[]).map(compileDoc)));
    else if (key === "$not") {
      const inner = compileDoc(value as FilterDoc);
      tests.push((s) => !inner(s));
    } else {
      const get = getter(key);
      const test = compileCondition(value);
      tests.push((s) => test(get(s)));
    }
  }
  return all(tests);
}

function all(tests: Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (s) => {
    for (const t of tests) if (!t(s)) return false;
    return true;
  };
}

function any(tests: Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (s) => {
    for (const t of tests) if (t(s)) return true;
    return false;
  };
}

function getter(path: string): Getter {
  const [root, ...rest] = path.split(".");
  if (root === "type") return (s) => s.type;
  if (root === "severity") return (s) => s.severity ?? MISSING;
  if (root === "fingerprint") return (s) => s.fingerprint ?? MISSING;
  if (root === "state") return (s) => s.state ?? MISSING;
  const segments = rest.map((seg) => ({ name: seg, index: /^(0|[1-9]\d{0,8})$/.test(seg) ? Number(seg) : -1 }));
  return (s) => {
    let v: unknown = s.payload;
    for (const seg of segments) {
      if (Array.isArray(v)) {
        if (seg.index < 0 || seg.index >= v.length) return MISSING;
        v = v[seg.index];
      } else if (v !== null && typeof v === "object") {
        if (!Object.hasOwn(v, seg.name)) return MISSING;
        v = (v as Record<string, unknown>)[seg.name];
      } else return MISSING;
    }
    return v;
  };
}

/** A test of one value that also passes when the value is an array holding a passing element. */
function anyElement(test: (v: unknown) => boolean): ValueTest {
  return (v) => v !== MISSING && (test(v) || (Array.isArray(v) && v.some(test)));
}

function compileCondition(value: unknown): ValueTest {
  if (!isPlainObject(value)) return anyElement(equals(value as Scalar));
  const tests: ValueTest[] = [];
  for (const [op, operand] of Object.entries(value)) tests.push(compileOperator(op, operand));
  if (tests.length === 1) return tests[0]!;
  return (v) => {
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function equals(x: Scalar): (v: unknown) => boolean {
  return (v) => v === x;
}

function compileOperator(op: string, operand: unknown): ValueTest {
  switch (op) {
    case "$eq":
      return anyElement(equals(operand as Scalar));
    case "$ne": {
      const eq = anyElement(equals(operand as Scalar));
      return (v) => !eq(v);
    }
    case "$in": {
      const set = new Set(operand as Scalar[]);
      return anyElement((v) => set.has(v as Scalar));
    }
    case "$nin": {
      const set = new Set(operand as Scalar[]);
      const inSet = anyElement((v) => set.has(v as Scalar));
      return (v) => !inSet(v);
    }
    case "$gt": {
      const n = operand as number;
      return anyElement((v) => typeof v === "number" && v > n);
    }
    case "$gte": {
      const n = operand as number;
      return anyElement((v) => typeof v === "number" && v >= n);
    }
    case "$lt": {
      const n = operand as number;
      return anyElement((v) => typeof v === "number" && v < n);
    }
    case "$lte": {
      const n = operand as number;
      return anyElement((v) => typeof v === "number" && v <= n);
    }
    case "$exists": {
      const want = operand as boolean;
      return (v) => (v !== MISSING) === want;
    }
    case "$prefix": {
      const p = operand as string;
      return anyElement((v) => typeof v === "string" && v.startsWith(p));
    }
    case "$not": {
      const inner = compileCondition(operand);
      return (v) => !inner(v);
    }
    default:
      // checkFilter refuses unknown operators; a stored filter that somehow holds one matches nothing.
      return () => false;
  }
}

/**
 * The subject of an event whose payload is JSON text. The text is parsed at the first filter that
 * reads a payload path, once for every filter the event meets; filters of attributes alone never
 * parse it. Text that is not JSON leaves every payload path missing.
 */
export function filterSubject(e: { type: string; severity: string | null; fingerprint: string | null; state: string | null; payload: string }): FilterSubject {
  let parsed = false;
  let value: unknown;
  return {
    type: e.type,
    severity: e.severity,
    fingerprint: e.fingerprint,
    state: e.state,
    get payload() {
      if (!parsed) {
        parsed = true;
        try {
          value = JSON.parse(e.payload);
        } catch {
          value = undefined;
        }
      }
      return value;
    },
  };
}
