-- POST /api/v1/payments/razorpay/webhook with a different signed event on every request.
-- Arguments: the events file ("<eventId> <signature> <body>" per line) and the 1-based line to start from.
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
