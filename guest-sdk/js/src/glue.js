// Glue's own spelling of the contract's enum-like variants (the text Glue sends and users see:
// `SUCCEEDED`, `Succeeded`, `CreateTable`), the Glue detail-types, and the AWS partition of a
// region.

const JOB_STATES = {
  starting: 'STARTING', running: 'RUNNING', stopping: 'STOPPING', stopped: 'STOPPED',
  succeeded: 'SUCCEEDED', failed: 'FAILED', timeout: 'TIMEOUT', error: 'ERROR',
  waiting: 'WAITING', expired: 'EXPIRED',
};
const SEVERITIES = { info: 'INFO', warn: 'WARN', error: 'ERROR' };
const CRAWLER_STATES = { started: 'Started', succeeded: 'Succeeded', failed: 'Failed' };
const DATA_QUALITY_STATES = { succeeded: 'SUCCEEDED', failed: 'FAILED' };
const CHANGES = {
  'create-database': 'CreateDatabase', 'update-database': 'UpdateDatabase',
  'delete-database': 'DeleteDatabase', 'create-table': 'CreateTable',
  'update-table': 'UpdateTable', 'delete-table': 'DeleteTable',
  'batch-delete-table': 'BatchDeleteTable', 'create-partition': 'CreatePartition',
  'batch-create-partition': 'BatchCreatePartition', 'update-partition': 'UpdatePartition',
  'batch-update-partition': 'BatchUpdatePartition', 'delete-partition': 'DeletePartition',
  'batch-delete-partition': 'BatchDeletePartition',
};

function spelling(table, value) {
  return value.tag === 'other' ? value.val : table[value.tag];
}

/** The case of `table` Glue spells `text`, `{ tag: 'other', val: text }` for anything else. */
function fromSpelling(table, text) {
  const tag = Object.keys(table).find((key) => table[key] === text);
  return tag === undefined ? { tag: 'other', val: text } : { tag };
}

/** A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it. */
export function jobStateName(state) {
  return spelling(JOB_STATES, state);
}

/** A job state from Glue's spelling, as the host reads it (`'PAUSED'` is `other`). */
export function jobStateOf(text) {
  return fromSpelling(JOB_STATES, text);
}

/** A severity as Glue spells it (`ERROR`); an `other` severity as Glue sent it. */
export function severityName(severity) {
  return spelling(SEVERITIES, severity);
}

/** A severity from Glue's spelling, as the host reads it. */
export function severityOf(text) {
  return fromSpelling(SEVERITIES, text);
}

/** A crawler state as Glue spells it (`Succeeded`). */
export function crawlerStateName(state) {
  return spelling(CRAWLER_STATES, state);
}

/** A crawler state from Glue's spelling, as the host reads it. */
export function crawlerStateOf(text) {
  return fromSpelling(CRAWLER_STATES, text);
}

/** A data quality state as Glue spells it (`FAILED`). */
export function dataQualityStateName(state) {
  return spelling(DATA_QUALITY_STATES, state);
}

/** A data quality state from Glue's spelling, as the host reads it. */
export function dataQualityStateOf(text) {
  return fromSpelling(DATA_QUALITY_STATES, text);
}

/** A Data Catalog `typeOfChange` as Glue spells it (`CreateTable`). */
export function typeOfChangeName(change) {
  return spelling(CHANGES, change);
}

/** A Data Catalog `typeOfChange` from Glue's spelling, as the host reads it. */
export function typeOfChangeOf(text) {
  return fromSpelling(CHANGES, text);
}

/** Whether a job state is final (the run ended): stopped, succeeded, failed, timeout, error, expired. */
export function isFinalJobState(state) {
  return ['stopped', 'succeeded', 'failed', 'timeout', 'error', 'expired'].includes(state.tag);
}

/** The `detail-type` of each typed detail, by its tag. */
export const DETAIL_TYPES = {
  'job-state-change': 'Glue Job State Change',
  'job-run-status': 'Glue Job Run Status',
  'crawler-state-change': 'Glue Crawler State Change',
  'database-state-change': 'Glue Data Catalog Database State Change',
  'table-state-change': 'Glue Data Catalog Table State Change',
  'data-quality-result': 'Data Quality Evaluation Results Available',
};

/** The AWS partition of `region`: `aws`, `aws-cn` or `aws-us-gov`. */
export function partition(region) {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The job-state-change detail of `event`, or `undefined` for any other detail. */
export function jobStateChange(event) {
  return event.detail.tag === 'job-state-change' ? event.detail.val : undefined;
}

/** Whether `event` is a Glue job run that ended in failed, timeout or error. */
export function isJobFailure(event) {
  const change = jobStateChange(event);
  return change !== undefined && ['failed', 'timeout', 'error'].includes(change.state.tag);
}

/** Whether `event` is a Glue job run that succeeded. */
export function isJobSuccess(event) {
  const change = jobStateChange(event);
  return change !== undefined && change.state.tag === 'succeeded';
}
