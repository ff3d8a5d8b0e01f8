// {{name}}: publishes to an SNS topic when a Glue job run fails.
//
// Setting `topic-arn` (required, declared in `describe`, so the host refuses to load the
// plugin without it): the topic to publish to.
//
// `npm run build` bundles this module with @glue-rules/sdk (esbuild) and turns it into a
// WebAssembly component (componentize-js, against the WIT the SDK ships); `npm test` runs
// test/*.test.js under Node, with the SDK's stand-in for the host.

import {
  config, jobStateName, log, matched, metadata, noMatch, rule, setting, sns,
} from '@glue-rules/sdk';

/** The events this rule wants: failed Glue job runs. */
const PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR"]}}';
const FAILURES = ['failed', 'timeout', 'error'];

export const handler = rule({
  describe(_settings) {
    return metadata(
      '{{name}}',
      '0.1.0',
      'Publishes to an SNS topic when a Glue job run fails.',
      [PATTERN],
      [setting('string', 'topic-arn', 'The SNS topic to publish to.', { required: true })],
    );
  },

  evaluate(event) {
    const topic = config.require('topic-arn');
    if (event.detail.tag !== 'job-state-change') {
      return noMatch(`detail-type "${event.detailType}" is not Glue Job State Change`);
    }
    const change = event.detail.val;
    const job = change.jobName;
    const state = jobStateName(change.state);
    if (!FAILURES.includes(change.state.tag)) {
      return noMatch(`job ${job} is ${state}`);
    }
    log.info(`job ${job} ${state}: publishing to ${topic}`);
    const publish = sns(topic, {
      subject: `Glue job ${job} ${state}`,
      message: `Glue job ${job} (run ${change.jobRunId}) ended in state ${state}.`,
    });
    return matched([publish], `job ${job} ${state}`);
  },
});
