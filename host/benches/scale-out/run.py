#!/usr/bin/env python3
"""What each dispatch backend costs an event, against moto on loopback.

    host/benches/scale-out/run.py [EVENTS]        (default 300)

Starts moto (`$GLUE_RULES_MOTO`, default ~/.cache/glue-rules/venv/bin/moto_server) on a free
loopback port, creates the outbox queue (with a dead-letter queue) and the de-duplication table
with boto3 (moto's own dependency), and runs a `glue-rules serve` (release build, the example
plugins in plugins/dist, the log dispatcher) once per backend:

    local          the SQLite outbox with its own de-duplication (the default)
    dynamodb       the SQLite outbox behind the DynamoDB de-duplication table
    sqs            the SQS outbox queue, no de-duplication
    sqs+dynamodb   the SQS outbox queue behind the DynamoDB table (the stateless replica)

For each it POSTs EVENTS distinct failed-job events one at a time (each fires one action, so
each is a durable record) and prints the median, p90 and p99 request latency and requests/s,
then the median of moto's own round trips (PutItem, SendMessageBatch) measured the same way, so
that what moto adds can be told from what glue-rules adds. Run it with `python3` from the moto
venv, or any Python with boto3.
"""

import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[3]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", pathlib.Path.home() / ".cache/glue-rules/target"))
BIN = pathlib.Path(os.environ.get("GLUE_RULES_BIN", TARGET / "release/glue-rules"))
MOTO = os.environ.get("GLUE_RULES_MOTO", str(pathlib.Path.home() / ".cache/glue-rules/venv/bin/moto_server"))
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def event(i: int, run: str) -> bytes:
    text = (REPO / "examples/events/aws-docs/failed-job-run.json").read_text()
    value = json.loads(text)
    value["id"] = f"{run}-{i}"
    value["detail"]["jobRunId"] = f"jr_{run}_{i}"
    return json.dumps(value).encode()


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve(config: pathlib.Path, work: pathlib.Path):
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen(
        [str(BIN), "serve", "--config", str(config), "--listen", "127.0.0.1:0",
         "--plugins-dir", str(REPO / "plugins/dist"), "--cache-dir", str(work / "cache"),
         "--watch-interval-ms", "0", "--log-level", "error"],
        stderr=log, env={**os.environ, "AWS_ACCESS_KEY_ID": "testing",
                         "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION},
    )
    for _ in range(600):
        text = (work / "serve.log").read_text()
        if "listening on http://" in text:
            addr = text.split("listening on http://", 1)[1].split()[0]
            return proc, addr
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit((work / "serve.log").read_text())


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if not BIN.is_file():
        raise SystemExit(f"no release build at {BIN}: cargo build --release -p glue-rules")
    import boto3  # moto's dependency

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"{endpoint}/moto-api/")
        kw = dict(endpoint_url=endpoint, region_name=REGION,
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        sqs, dynamo = boto3.client("sqs", **kw), boto3.client("dynamodb", **kw)
        dead = sqs.create_queue(QueueName="bench-outbox-dead")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        outbox = sqs.create_queue(QueueName="bench-outbox", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "20"})})["QueueUrl"]
        dynamo.create_table(TableName="bench-dedupe", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}])
        aws = f'[dispatch.aws]\nregion = "{REGION}"\nendpoint-url = "{endpoint}"\n'
        backends = {
            "local": 'outbox = "outbox.sqlite"\n',
            "dynamodb": 'outbox = "outbox.sqlite"\ndedupe-table = "bench-dedupe"\n',
            "sqs": f'outbox-queue-url = "{outbox}"\n',
            "sqs+dynamodb": f'outbox-queue-url = "{outbox}"\ndedupe-table = "bench-dedupe"\n',
        }
        print(f"{events} distinct failed-job events per backend, one request at a time, "
              f"glue-rules {BIN}, moto on {endpoint}, log dispatcher")
        print(f"{'backend':<14} {'median ms':>10} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        for name, dispatch in backends.items():
            with tempfile.TemporaryDirectory() as tmp:
                work = pathlib.Path(tmp)
                config = work / "glue-rules.toml"
                config.write_text(f'[dispatch]\nmode = "log"\n{dispatch}\n{aws}')
                proc, addr = serve(config, work)
                try:
                    url = f"http://{addr}/v1/events"
                    run = f"{name}-{time.time_ns()}"
                    latencies = []
                    for i in range(-20, events):
                        body = event(i, run)
                        request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
                        start = time.perf_counter()
                        with urllib.request.urlopen(request, timeout=30) as response:
                            response.read()
                            assert response.status == 200, response.status
                        if i >= 0:
                            latencies.append((time.perf_counter() - start) * 1000)
                    total = sum(latencies) / 1000
                    print(f"{name:<14} {statistics.median(latencies):>10.2f} "
                          f"{percentile(latencies, 0.9):>8.2f} {percentile(latencies, 0.99):>8.2f} "
                          f"{len(latencies) / total:>8.0f}")
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=60)
        # moto's own round trips, the same client distance away.
        def timed(call, n=200):
            times = []
            for i in range(n):
                start = time.perf_counter()
                call(i)
                times.append((time.perf_counter() - start) * 1000)
            return statistics.median(times)
        put = timed(lambda i: dynamo.put_item(TableName="bench-dedupe", Item={"key": {"S": f"probe-{i}"}}))
        send = timed(lambda i: sqs.send_message_batch(QueueUrl=outbox, Entries=[{"Id": "a", "MessageBody": "x"}]))
        print(f"moto round trips from boto3 (median of 200): PutItem {put:.2f} ms, "
              f"SendMessageBatch {send:.2f} ms")
    finally:
        moto.terminate()
        moto.wait(timeout=30)


if __name__ == "__main__":
    main()
