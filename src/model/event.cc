#include "model/event.h"

#include "common/hash.h"

namespace burnrate::model {

uint64_t EventFingerprint(const Event& e) {
  // The seed separates our fingerprints from other uses of Hash64.
  return Hash64(e.id, 0x6275726e72617465ULL /* "burnrate" */);
}

}  // namespace burnrate::model
