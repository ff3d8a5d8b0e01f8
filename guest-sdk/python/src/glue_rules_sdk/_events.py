"""Reading events: Glue's spelling of the enum-like variants, the questions most rules ask of a
job event, the partition of a region, and the event's JSON through the host."""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

from ._bindings import host, types as t
from ._json import parse_json


class _Spelling:
    """Both directions of one variant's spelling table, written once so they cannot disagree."""

    def __init__(self, cases: Dict[type, str], other: type, what: str) -> None:
        self._cases = cases
        self._by_text = {text: case for case, text in cases.items()}
        self._other = other
        self._what = what

    def name(self, value: Any) -> str:
        if isinstance(value, self._other):
            text: str = getattr(value, "value")
            return text
        try:
            return self._cases[type(value)]
        except KeyError:
            raise TypeError(f"{value!r} is not a {self._what}") from None

    def from_glue(self, text: str) -> Any:
        case = self._by_text.get(text)
        return case() if case is not None else self._other(value=text)


_JOB_STATES = _Spelling(
    {
        t.JobState_Starting: "STARTING", t.JobState_Running: "RUNNING",
        t.JobState_Stopping: "STOPPING", t.JobState_Stopped: "STOPPED",
        t.JobState_Succeeded: "SUCCEEDED", t.JobState_Failed: "FAILED",
        t.JobState_Timeout: "TIMEOUT", t.JobState_Error: "ERROR",
        t.JobState_Waiting: "WAITING", t.JobState_Expired: "EXPIRED",
    },
    t.JobState_Other,
    "job state",
)
_SEVERITIES = _Spelling(
    {t.Severity_Info: "INFO", t.Severity_Warn: "WARN", t.Severity_Error: "ERROR"},
    t.Severity_Other,
    "severity",
)
_CRAWLER_STATES = _Spelling(
    {
        t.CrawlerState_Started: "Started",
        t.CrawlerState_Succeeded: "Succeeded",
        t.CrawlerState_Failed: "Failed",
    },
    t.CrawlerState_Other,
    "crawler state",
)
_DATA_QUALITY_STATES = _Spelling(
    {t.DataQualityState_Succeeded: "SUCCEEDED", t.DataQualityState_Failed: "FAILED"},
    t.DataQualityState_Other,
    "data quality state",
)
_TYPES_OF_CHANGE = _Spelling(
    {
        t.TypeOfChange_CreateDatabase: "CreateDatabase",
        t.TypeOfChange_UpdateDatabase: "UpdateDatabase",
        t.TypeOfChange_DeleteDatabase: "DeleteDatabase",
        t.TypeOfChange_CreateTable: "CreateTable",
        t.TypeOfChange_UpdateTable: "UpdateTable",
        t.TypeOfChange_DeleteTable: "DeleteTable",
        t.TypeOfChange_BatchDeleteTable: "BatchDeleteTable",
        t.TypeOfChange_CreatePartition: "CreatePartition",
        t.TypeOfChange_BatchCreatePartition: "BatchCreatePartition",
        t.TypeOfChange_UpdatePartition: "UpdatePartition",
        t.TypeOfChange_BatchUpdatePartition: "BatchUpdatePartition",
        t.TypeOfChange_DeletePartition: "DeletePartition",
        t.TypeOfChange_BatchDeletePartition: "BatchDeletePartition",
    },
    t.TypeOfChange_Other,
    "Data Catalog change type",
)


def job_state_name(state: t.JobState) -> str:
    """A job state as Glue spells it (``SUCCEEDED``); an ``Other`` state as Glue sent it."""
    return _JOB_STATES.name(state)


def job_state_from_glue(text: str) -> t.JobState:
    """The job state for Glue's spelling (exact match); an unknown spelling becomes
    ``JobState_Other(text)``, as the host does."""
    return _JOB_STATES.from_glue(text)


def severity_name(severity: t.Severity) -> str:
    """A severity as Glue spells it (``ERROR``); an ``Other`` severity as Glue sent it."""
    return _SEVERITIES.name(severity)


def severity_from_glue(text: str) -> t.Severity:
    """The severity for Glue's spelling; an unknown one becomes ``Severity_Other(text)``."""
    return _SEVERITIES.from_glue(text)


def crawler_state_name(state: t.CrawlerState) -> str:
    """A crawler state as Glue spells it (``Succeeded``); ``Other`` as Glue sent it."""
    return _CRAWLER_STATES.name(state)


def crawler_state_from_glue(text: str) -> t.CrawlerState:
    """The crawler state for Glue's spelling; an unknown one becomes ``Other(text)``."""
    return _CRAWLER_STATES.from_glue(text)


def data_quality_state_name(state: t.DataQualityState) -> str:
    """A data quality state as Glue spells it (``FAILED``); ``Other`` as Glue sent it."""
    return _DATA_QUALITY_STATES.name(state)


def data_quality_state_from_glue(text: str) -> t.DataQualityState:
    """The data quality state for Glue's spelling; an unknown one becomes ``Other(text)``."""
    return _DATA_QUALITY_STATES.from_glue(text)


def type_of_change_name(change: t.TypeOfChange) -> str:
    """A Data Catalog change type as Glue spells it (``CreateTable``)."""
    return _TYPES_OF_CHANGE.name(change)


def type_of_change_from_glue(text: str) -> t.TypeOfChange:
    """The change type for Glue's spelling; an unknown one becomes ``Other(text)``."""
    return _TYPES_OF_CHANGE.from_glue(text)


_FINAL = (
    t.JobState_Succeeded, t.JobState_Failed, t.JobState_Timeout,
    t.JobState_Stopped, t.JobState_Error, t.JobState_Expired,
)
_FAILURES = (t.JobState_Failed, t.JobState_Timeout, t.JobState_Error)

JobDetail = Union[t.JobStateChange, t.JobRunStatus]


def job_detail(event: t.Event) -> Optional[JobDetail]:
    """The job run's detail, for "Glue Job State Change" and "Glue Job Run Status" events;
    ``None`` for every other event, so a rule need not match on the variant to read a job."""
    detail = event.detail
    if isinstance(detail, (t.Detail_JobStateChange, t.Detail_JobRunStatus)):
        return detail.value
    return None


def job_name(event: t.Event) -> Optional[str]:
    """The Glue job's name (``jobName``), for job events."""
    job = job_detail(event)
    return None if job is None else job.job_name


def is_job_state_change(event: t.Event) -> bool:
    """Whether this is a "Glue Job State Change" (a run reached a final state)."""
    return isinstance(event.detail, t.Detail_JobStateChange)


def is_job_failure(event: t.Event) -> bool:
    """Whether this is a "Glue Job State Change" to FAILED, TIMEOUT or ERROR. STOPPED is not a
    failure: someone stopped the run on purpose."""
    detail = event.detail
    return isinstance(detail, t.Detail_JobStateChange) and isinstance(detail.value.state, _FAILURES)


def is_job_success(event: t.Event) -> bool:
    """Whether this is a "Glue Job State Change" to SUCCEEDED."""
    detail = event.detail
    return isinstance(detail, t.Detail_JobStateChange) and isinstance(
        detail.value.state, t.JobState_Succeeded
    )


def is_final(state: t.JobState) -> bool:
    """Whether a run in ``state`` is over (succeeded, failed, timeout, stopped, error or
    expired): the states "Glue Job State Change" is sent for."""
    return isinstance(state, _FINAL)


def partition(region: Union[str, t.Event]) -> str:
    """The AWS partition of a region (or of an event's region): ``aws``, ``aws-cn`` or
    ``aws-us-gov``, for ARNs that are valid outside the commercial regions."""
    name = region if isinstance(region, str) else region.region
    if name.startswith("cn-"):
        return "aws-cn"
    if name.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def detail_json() -> str:
    """The ``detail`` of the event being evaluated, as compact JSON text, for the fields the
    typed view lacks. The host copies it on every call: parse it once. ``"{}"`` outside
    ``evaluate``."""
    return host.detail_json()


def event_json() -> str:
    """The whole envelope of the event being evaluated, as compact JSON text (what templates
    read). ``"{}"`` outside ``evaluate``."""
    return host.event_json()


#: The same as ``event_json`` (the name the first Python helpers used).
envelope_json = event_json


def detail_value() -> Any:
    """``detail_json()`` parsed (a dict)."""
    return _parse("detail", detail_json())


def event_value() -> Any:
    """``event_json()`` parsed (a dict), for ``render`` and for fields the typed view lacks."""
    return _parse("event", event_json())


def _parse(what: str, text: str) -> Any:
    try:
        return parse_json(text)
    except ValueError as e:
        raise ValueError(f"the {what}'s JSON from the host is not valid JSON: {e}") from None
