// The detect layer's front door: token-farming detection.
//
// Others include only this header. See docs/detection.md for the detectors.
#pragma once

#include "detect/prompt_features.h"
