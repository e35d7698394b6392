wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BURNRATE_KEY") .. ""
wrk.headers["Content-Type"] = "application/json"
counter = 0
pending = {}
request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format(nil, "/v1/settle", nil, '{"reservation_id":"' .. id .. '","input_tokens":3000,"output_tokens":500}')
  end
  counter = counter + 1
  local body = '{"user":"u' .. (counter % 1000) .. '","team":"t' .. (counter % 50) .. '","model":"claude-sonnet-4-5","estimated_tokens":4000}'
  return wrk.format(nil, "/v1/check", nil, body)
end
response = function(status, headers, body)
  local id = string.match(body, '"reservation_id":"([^"]+)"')
  if id then table.insert(pending, id) end
end
