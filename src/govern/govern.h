// The governance layer's front door: budgets, rate limits, priority-weighted
// quotas, the check API, alerts and the audit log. Other layers include
// only this header. See docs/governance.md.
//
// Wiring (App): construct the governance stores (govern_stores.h; SQLite:
// store/sqlite/sqlite_stores.h), make an AuditLog over the AuditStore, an
// Alerter over NewHttpClientTransport() with AttachDb(alert store), then a
// Governor; call Configure(config), AttachDb(policy store, alert store),
// RegisterRoutes(router); call OnUsage()
// for each durable usage event, Tick() about once a second, and
// AppendMetrics() from /metrics. Detection calls SetThrottle().
#pragma once

#include "govern/alerter.h"
#include "govern/audit_log.h"
#include "govern/check_json.h"
#include "govern/fair_share.h"
#include "govern/govern_stores.h"
#include "govern/governor.h"
#include "govern/limit_store.h"
#include "govern/period.h"
#include "govern/policy.h"
