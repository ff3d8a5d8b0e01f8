-- wrk script: POST the file named by the BODY environment variable to /v1/events.
-- Every "__ID__" in the body is replaced by a value unique to the request, so that no event
-- is a duplicate of another (a duplicate is de-duplicated and costs the outbox no write).
-- At the end one machine-readable line is printed:
--   RESULT requests=N acked=N seconds=S rps=R p50_ms=X p99_ms=Y
local f = assert(io.open(os.getenv("BODY"), "rb"))
local template = f:read("*a")
f:close()
local content_type = os.getenv("CONTENT_TYPE") or "application/json"
local token = os.getenv("INTAKE_TOKEN")
-- Ids must also differ between runs against one outbox (a repeated id is a duplicate).
local run = os.getenv("RUN") or tostring(os.time())

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
function request()
  counter = counter + 1
  local body = template:gsub("__ID__", "load-" .. run .. "-" .. tid .. "-" .. counter)
  local headers = { ["Content-Type"] = content_type }
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, body)
end

local reported = 0
function response(status, headers, body)
  if status ~= 200 and reported < 5 then
    reported = reported + 1
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end

function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d acked=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.requests - summary.errors.status, seconds,
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
