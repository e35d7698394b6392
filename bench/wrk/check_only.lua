wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BURNRATE_KEY") .. ""
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{"user":"u' .. (counter % 1000) .. '","team":"t' .. (counter % 50) .. '","model":"claude-sonnet-4-5","estimated_tokens":4000}'
  return wrk.format(nil, "/v1/check", nil, body)
end
