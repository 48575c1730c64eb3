-- mock-chat.lua: wrk script that posts a fixed Kiro chat body to the
-- mock upstream (tests/mock/mockup).  The user's text is taken from the
-- environment variable MOCK_DIRECTIVE (e.g. "MOCK:events:200"); empty
-- or unset gives the mock's default answer.  The bearer token is
-- MOCK_TOKEN (default "bench-token": start mockup with --any-token or
-- --token bench-token).
--
--   MOCK_DIRECTIVE=MOCK:events:200 wrk -t2 -c64 -d10s \
--       -s tests/mock/mock-chat.lua http://127.0.0.1:PORT/generateAssistantResponse

local directive = os.getenv("MOCK_DIRECTIVE") or ""
local token = os.getenv("MOCK_TOKEN") or "bench-token"
local content = "Say hello."
if directive ~= "" then
	content = "Say hello. " .. directive
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["amz-sdk-request"] = "attempt=1; max=3"
wrk.headers["x-amzn-kiro-agent-mode"] = "vibe"
wrk.body = '{"conversationState":{"agentTaskType":"vibe",' ..
	'"chatTriggerType":"MANUAL",' ..
	'"conversationId":"0b7d9d52-5f3e-4c1a-9b1e-2a4f6c8d0e13",' ..
	'"currentMessage":{"userInputMessage":{"content":"' .. content .. '",' ..
	'"modelId":"claude-sonnet-4.5","origin":"AI_EDITOR"}}},' ..
	'"profileArn":"arn:aws:codewhisperer:us-east-1:000000000000:profile/MOCK"}'

-- wrk itself reports "Non-2xx or 3xx responses" when there are any.
