#include "learners/runtime.hpp"

#include <malloc.h>

#include <c10/core/CPUAllocator.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace lantern::learners {
namespace {

// LibTorch's CPU allocator, with large blocks kept when freed for the next tensor of about their
// size. In a thread other than main, glibc maps every block its 64 MiB heaps cannot hold anew
// and gives freed heap tops back, and each new page costs a fault: a NetHack update's
// screen-sized tensors (85 MB each for a rollout of 528 frames) made the learner's thread spend
// most of its time faulting pages in (learner_bench in a thread: 308 samples/s, against 2,365
// in the main thread). Blocks below `large` go to the allocator it replaces.
class caching_allocator final : public c10::Allocator {
 public:
  static constexpr size_t large = 1u << 20;        // blocks from 1 MiB are cached
  static constexpr size_t capacity = 1024u << 20;  // at most 1 GiB kept while unused
  static constexpr size_t alignment = 64;

  explicit caching_allocator(c10::Allocator* fallback) : fallback_(fallback), fallback_free_(fallback->raw_deleter()) {}

  c10::DataPtr allocate(size_t n) const override {
    if (n < large) return fallback_->allocate(n);
    // Sizes rounded up to 1/8 of their power of two, so that a block serves nearby sizes.
    const size_t pow2 = size_t{1} << (63 - __builtin_clzll(static_cast<unsigned long long>(n)));
    const size_t step = std::max<size_t>(64u << 10, pow2 / 8);
    const size_t bytes = (n + step - 1) / step * step;
    std::unique_lock<std::mutex> lock(mu_);
    void* block = nullptr;
    // The smallest cached block that fits with at most 1/8 to spare.
    if (auto it = free_.lower_bound(bytes); it != free_.end() && it->first <= bytes + bytes / 8) {
      block = it->second;
      cached_ -= it->first;
      live_.emplace(block, it->first);
      free_.erase(it);
    } else {
      lock.unlock();
      if (posix_memalign(&block, alignment, bytes) != 0) throw std::bad_alloc();
      lock.lock();
      live_.emplace(block, bytes);
    }
    return {block, block, &release, c10::Device(c10::DeviceType::CPU)};
  }

  // Data and context are one pointer (oneDNN frees through raw_deallocate), so the sizes of
  // the large blocks are kept here; any other pointer is the fallback's.
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  static caching_allocator* instance;

  size_t cached() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

 private:
  static void release(void* block) {
    auto& self = *instance;
    {
      std::lock_guard<std::mutex> lock(self.mu_);
      auto it = self.live_.find(block);
      if (it == self.live_.end()) {
        // not a large block: the fallback's (below, unlocked)
      } else {
        const size_t bytes = it->second;
        self.live_.erase(it);
        if (self.cached_ + bytes > capacity) {
          std::free(block);
          return;
        }
        self.cached_ += bytes;
        self.free_.emplace(bytes, block);
        return;
      }
    }
    self.fallback_free_(block);
  }

  c10::Allocator* fallback_;
  c10::DeleterFnPtr fallback_free_;
  mutable std::mutex mu_;
  mutable std::unordered_map<void*, size_t> live_;
  mutable std::multimap<size_t, void*> free_;
  mutable size_t cached_ = 0;
};

caching_allocator* caching_allocator::instance = nullptr;

}  // namespace

void configure_runtime(int torch_threads) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // blocks below 256 MiB come from the heap and are reused
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and the heap is not trimmed back below 1 GiB of slack
  static std::once_flag once;
  std::call_once(once, [] {
    caching_allocator::instance = new caching_allocator(c10::GetCPUAllocator());  // lives as long as the process
    c10::SetCPUAllocator(caching_allocator::instance, 1);
  });
  torch::set_num_threads(torch_threads);
}

size_t cached_tensor_bytes() { return caching_allocator::instance ? caching_allocator::instance->cached() : 0; }

void configure_thread(int torch_threads) {
  if (torch::get_num_threads() != torch_threads) torch::set_num_threads(torch_threads);
}

}  // namespace lantern::learners
