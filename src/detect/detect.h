// The detect layer's front door: token-farming detection.
//
// Others include only this header:
//   DetectConfig                    thresholds and exemptions (detect_config.h)
//   DetectionEngine                 Observe / ScoreDay / WastedTokens / routes;
//                                   SetPrices for the plausibility checks (plausibility.h)
//   FlagStore                       the review queue's storage interface
//                                   (SQLite: store/sqlite/sqlite_stores.h)
// See docs/detection.md for the detectors and their measured quality.
#pragma once

#include "detect/detect_config.h"
#include "detect/detection_engine.h"
#include "detect/flag_store.h"
