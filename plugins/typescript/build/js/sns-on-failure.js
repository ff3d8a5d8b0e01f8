// glue-rules.ts
import { log as hostLog, config as hostConfig } from "glue:rules/host@0.1.0";
function write(level) {
  return (message2) => hostLog(level, String(message2));
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
var CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
function trim(text) {
  return text.replace(LEADING, "").replace(TRAILING, "");
}
function trimEnd(text) {
  return text.replace(TRAILING, "");
}
function truncateChars(text, max) {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join("");
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
var SEVERITIES = {
  info: "INFO",
  warn: "WARN",
  error: "ERROR"
};
function jobStateName(state) {
  return state.tag === "other" ? state.val : JOB_STATES[state.tag];
}
function severityName(severity) {
  return severity.tag === "other" ? severity.val : SEVERITIES[severity.tag];
}
function partition(region) {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
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
function sns(topicArn, { subject, message: message2 = "", attributes = [] } = {}) {
  let cleaned;
  if (subject !== void 0) {
    const cut = trimEnd(truncateChars(trim(subject.replace(CONTROL, " ")), 100));
    cleaned = cut === "" ? void 0 : cut;
  }
  const messageAttributes = attributes.filter(([, value]) => value !== "").map(([name, value]) => ({ name, dataType: "String", stringValue: value }));
  return { tag: "sns", val: { topicArn, subject: cleaned, message: message2, messageAttributes } };
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

// sns-on-failure.ts
var PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR","STOPPED"]}}';
var DEFAULT_TOPIC_NAME = "glue-job-failures";
function describe() {
  return metadata(
    "sns-on-failure",
    "0.1.0",
    "Publishes to an SNS topic when a Glue job run fails or times out.",
    [PATTERN]
  );
}
var evaluate = evaluator((event) => {
  const settings = {
    topicArn: config.get("topic-arn"),
    notifyStopped: config.bool("notify-stopped", false),
    jobName: config.get("job-name")
  };
  if (event.detail.tag !== "job-state-change") {
    return noMatch(`detail-type "${event.detailType}" is not Glue Job State Change`);
  }
  if (event.source !== "aws.glue") {
    return noMatch(`source "${event.source}" is not aws.glue`);
  }
  const change = event.detail.val;
  const job = change.jobName;
  const state = jobStateName(change.state);
  switch (change.state.tag) {
    case "failed":
    case "timeout":
    case "error":
      break;
    case "stopped":
      if (!settings.notifyStopped) {
        return noMatch(`job ${job} STOPPED and notify-stopped is off`);
      }
      break;
    default:
      return noMatch(`job ${job} is ${state}`);
  }
  if (settings.jobName !== void 0 && !glob(settings.jobName, job)) {
    return noMatch(`job ${job} does not match job-name filter "${settings.jobName}"`);
  }
  const topic = settings.topicArn ?? `arn:${partition(event.region)}:sns:${event.region}:${event.account}:${DEFAULT_TOPIC_NAME}`;
  const severity = change.severity === void 0 ? void 0 : severityName(change.severity);
  const publish = sns(topic, {
    subject: `Glue job ${job} ${state}`,
    message: message(event, change, state, severity),
    attributes: [["jobName", job], ["state", state], ["severity", severity ?? ""]]
  });
  return matched([publish], `job ${job} ${state}`);
});
function message(event, change, state, severity) {
  let text = `AWS Glue job ${change.jobName} ended in state ${state}.

`;
  text += `Job name: ${change.jobName}
`;
  text += `Run id:   ${change.jobRunId}
`;
  text += `State:    ${state}
`;
  if (severity !== void 0) text += `Severity: ${severity}
`;
  text += `Time:     ${event.time}
`;
  text += `Region:   ${event.region}
`;
  text += `Account:  ${event.account}
`;
  text += `Event id: ${event.id}

`;
  text += `Message from Glue:
${change.message ?? "(none)"}`;
  return text;
}
export {
  describe,
  evaluate
};
