-- POST /api/v1/payments/razorpay/webhook with a different signed event on every request.
-- Arguments: the events file ("<eventId> <signature> <body>" per line), the 1-based line to start from,
-- and the limit and flag file of counted.lua.
-- counted.lua sits beside this script, wherever wrk is started from.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local counted = require("counted")
local list = {}
local index = 1

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local id, signature, body = line:match("^(%S+) (%S+) (.+)$")
    if id then list[#list + 1] = { id, signature, body } end
  end
  file:close()
  index = tonumber(args[2] or "1")
  counted.init(args[3], args[4])
end

function request()
  local event = list[index] or list[1]
  index = index + 1
  return wrk.format("POST", "/api/v1/payments/razorpay/webhook", {
    ["Content-Type"] = "application/json",
    ["X-Razorpay-Signature"] = event[2],
    ["X-Razorpay-Event-Id"] = event[1],
  }, event[3])
end

function response()
  counted.response()
end
