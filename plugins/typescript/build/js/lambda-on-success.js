// glue-rules.ts
import { log as hostLog, config as hostConfig } from "glue:rules/host@0.1.0";
function write(level) {
  return (message) => hostLog(level, String(message));
}
var log = {
  trace: write("trace"),
  debug: write("debug"),
  info: write("info"),
  warn: write("warn"),
  error: write("error")
};
var WHITESPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
var LEADING = new RegExp(`^[${WHITESPACE}]+`);
var TRAILING = new RegExp(`[${WHITESPACE}]+$`);
function trim(text) {
  return text.replace(LEADING, "").replace(TRAILING, "");
}
var config = {
  /** The raw value of `key`, or `undefined`. */
  raw(key) {
    return hostConfig(key) ?? void 0;
  },
  /** The trimmed value of `key`; `undefined` when unset, empty or only white space. */
  get(key) {
    const value = hostConfig(key);
    if (value === void 0 || value === null) return void 0;
    const trimmed = trim(value);
    return trimmed === "" ? void 0 : trimmed;
  },
  /** The trimmed value of `key`, or `fallback`. */
  getOr(key, fallback) {
    return config.get(key) ?? fallback;
  },
  /** The trimmed value of `key`; throws when it is not set. */
  require(key) {
    const value = config.get(key);
    if (value === void 0) throw `setting \`${key}\` is required but not set`;
    return value;
  },
  /** `key` as a boolean (true/false, yes/no, on/off, 1/0, any case), or `fallback`. */
  bool(key, fallback) {
    const value = config.get(key);
    if (value === void 0) return fallback;
    switch (value.replace(/[A-Z]/g, (c) => c.toLowerCase())) {
      case "true":
      case "yes":
      case "on":
      case "1":
        return true;
      case "false":
      case "no":
      case "off":
      case "0":
        return false;
      default:
        throw `setting \`${key}\` must be true or false, not "${value}"`;
    }
  }
};
function glob(pattern, text) {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let swallowed = 0;
  while (ti < t.length) {
    if (p[pi] === "*") {
      star = pi;
      swallowed = ti;
      pi += 1;
    } else if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) {
      pi += 1;
      ti += 1;
    } else if (star >= 0) {
      pi = star + 1;
      swallowed += 1;
      ti = swallowed;
    } else {
      return false;
    }
  }
  return p.slice(pi).every((c) => c === "*");
}
function jsonString(text) {
  let out = '"';
  for (const c of text) {
    switch (c) {
      case '"':
        out += '\\"';
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "	":
        out += "\\t";
        break;
      default: {
        const code = c.codePointAt(0) ?? 0;
        out += code < 32 ? `\\u${code.toString(16).padStart(4, "0")}` : c;
      }
    }
  }
  return out + '"';
}
var JsonObject = class {
  #members = [];
  /** Adds a string member. */
  string(key, value) {
    this.#members.push(`${jsonString(key)}:${jsonString(value)}`);
    return this;
  }
  /** Adds a member whose value is already JSON text. */
  raw(key, json) {
    this.#members.push(`${jsonString(key)}:${json}`);
    return this;
  }
  /** The finished JSON text. */
  finish() {
    return `{${this.#members.join(",")}}`;
  }
};
var JOB_STATES = {
  starting: "STARTING",
  running: "RUNNING",
  stopping: "STOPPING",
  stopped: "STOPPED",
  succeeded: "SUCCEEDED",
  failed: "FAILED",
  timeout: "TIMEOUT",
  error: "ERROR",
  waiting: "WAITING",
  expired: "EXPIRED"
};
function jobStateName(state) {
  return state.tag === "other" ? state.val : JOB_STATES[state.tag];
}
function metadata(name, version, description, patterns = []) {
  return { name, version, description, patterns };
}
function noMatch(reason) {
  return { matched: false, actions: [], reason };
}
function matched(actions, reason) {
  return { matched: true, actions, reason };
}
function parseInvocationType(text) {
  const folded = trim(text).replace(/[-_]/g, "").replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (folded === "event") return "event";
  if (folded === "requestresponse") return "request-response";
  return void 0;
}
function invocationTypeName(type) {
  return type === "event" ? "Event" : "RequestResponse";
}
function lambda(functionName, payload = "{}", invocationType = "request-response") {
  return { tag: "lambda", val: { functionName, payload, invocationType } };
}
function evaluator(evaluate2) {
  return (event) => {
    try {
      return evaluate2(event);
    } catch (e) {
      if (typeof e === "string") throw e;
      throw e instanceof Error ? e.message : String(e);
    }
  };
}

// lambda-on-success.ts
var PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}';
var DEFAULT_FUNCTION = "glue-job-succeeded";
function readSettings() {
  const text = config.get("invocation-type");
  let invocationType = "event";
  if (text !== void 0) {
    const parsed = parseInvocationType(text);
    if (parsed === void 0) {
      throw `setting \`invocation-type\` must be event or request-response, not "${text}"`;
    }
    invocationType = parsed;
  }
  return {
    jobName: config.get("job-name"),
    functionName: config.getOr("function-name", DEFAULT_FUNCTION),
    invocationType
  };
}
function describe() {
  return metadata(
    "lambda-on-success",
    "0.1.0",
    "Invokes a Lambda function when a Glue job run succeeds.",
    [PATTERN]
  );
}
var evaluate = evaluator((event) => {
  const settings = readSettings();
  if (event.detail.tag !== "job-state-change") {
    return noMatch(`detail-type "${event.detailType}" is not Glue Job State Change`);
  }
  if (event.source !== "aws.glue") {
    return noMatch(`source "${event.source}" is not aws.glue`);
  }
  const change = event.detail.val;
  const job = change.jobName;
  const state = jobStateName(change.state);
  if (change.state.tag !== "succeeded") {
    return noMatch(`job ${job} is ${state}`);
  }
  if (settings.jobName !== void 0 && !glob(settings.jobName, job)) {
    return noMatch(`job ${job} does not match job-name filter "${settings.jobName}"`);
  }
  const payload = new JsonObject().string("jobName", job).string("jobRunId", change.jobRunId).string("state", state).string("time", event.time).string("region", event.region).string("account", event.account).string("eventId", event.id).finish();
  log.debug(`invoking ${settings.functionName} (${invocationTypeName(settings.invocationType)}) for job ${job}`);
  return matched(
    [lambda(settings.functionName, payload, settings.invocationType)],
    `job ${job} succeeded (run ${change.jobRunId})`
  );
});
export {
  describe,
  evaluate
};
