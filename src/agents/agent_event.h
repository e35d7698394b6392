// Usage events of any source as burnrate NDJSON (docs/event-format.md), and
// the machine id they carry.
//
// The id is the source's prefix ("cx-", "gm-", "oc-", "cc-") and the
// entry's 128-bit key in hex: it depends only on the log's content (thread
// and message, or for Codex thread and response usage, model/request_key.h), never on the machine,
// clock or path, so the same usage read twice, or from a copy of the logs on another machine, is
// one event, and different usage never shares an id. `client` is the machine id: it tells one
// person's machines apart on the server. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "agents/source.h"

namespace burnrate::agents {

std::string AgentEventId(Source s, const claude::UsageEntry& e);

// Appends one NDJSON line (with '\n'). cost_usd is sent when the log
// carried a cost (OpenCode), else the server prices the tokens.
void AppendAgentEvent(Source s, const claude::UsageEntry& e, const claude::StringTable& strings,
                      std::string_view user, std::string_view client, std::string* out);

// "m-" + 16 hex digits of SHA-256 over /etc/machine-id (or
// /var/lib/dbus/machine-id, else the host name): stable for the machine and
// not revealing the raw id. `override_id`, when not empty, is used as is.
std::string MachineId(std::string_view override_id);

}  // namespace burnrate::agents
