-- wrk script: POST the file named by the BODY environment variable to /v1/events.
-- Every "__ID__" in the body is replaced by a value unique to the request, so that no event
-- is a duplicate of another (a duplicate is de-duplicated and costs the outbox no write).
local f = assert(io.open(os.getenv("BODY"), "rb"))
local template = f:read("*a")
f:close()
local content_type = os.getenv("CONTENT_TYPE") or "application/json"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
function request()
  counter = counter + 1
  local body = template:gsub("__ID__", "load-" .. tid .. "-" .. counter)
  return wrk.format("POST", nil, { ["Content-Type"] = content_type }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
