#include "claude/deduplicator.h"

namespace burnrate::claude {

Deduplicator::Verdict Deduplicator::Offer(const UsageEntry& e) {
  if (!e.has_ids) return Verdict::kNoIds;
  if (!keys_.insert(e.key_hi).second) return Verdict::kDuplicate;
  auto [it, inserted] = messages_.try_emplace(e.msg_hash);
  if (!inserted && (e.sidechain || it->second.any_sidechain)) {
    it->second.any_sidechain = true;
    return Verdict::kSidechainReplay;
  }
  it->second.any_sidechain |= e.sidechain;
  return Verdict::kNew;
}

}  // namespace burnrate::claude
