// The governance layer's front door: budgets, rate limits, priority-weighted
// quotas, the check API, alerts and the audit log. Other layers include
// only this header. See docs/governance.md.
//
// Wiring (App): open GovernDb on the database path, make an AuditLog over
// it, an Alerter over NewHttpClientTransport(), then a Governor; call
// Configure(config), AttachDb(db), RegisterRoutes(router); call OnUsage()
// for each durable usage event, Tick() about once a second, and
// AppendMetrics() from /metrics. Detection calls SetThrottle().
#pragma once

#include "govern/alerter.h"
#include "govern/audit_log.h"
#include "govern/check_json.h"
#include "govern/fair_share.h"
#include "govern/govern_db.h"
#include "govern/governor.h"
#include "govern/limit_store.h"
#include "govern/period.h"
#include "govern/policy.h"
