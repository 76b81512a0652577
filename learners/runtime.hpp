// learners/runtime.hpp: process settings a learner needs, made explicit: call once from main()
// before training (the settings are process-wide).
//   - LibTorch's intra-op threads (1 per learner thread on a 2-core machine: more only contends).
//   - glibc's allocator keeps large freed blocks instead of unmapping them: LibTorch allocates and
//     frees multi-megabyte temporaries every step, and mapping them anew costs a page fault per
//     4 KiB. Measured here: APPO updates 6.8x faster (text net), NetHack acting 16x faster.
//
//   int main() { lantern::learners::configure_runtime(1); ... }
#pragma once

#include <cstddef>

namespace lantern::learners {

void configure_runtime(int torch_threads);

/// For a thread that runs torch code (an actor's worker thread): its intra-op threads. OpenMP
/// settings are per thread, and a new thread does not inherit them.
void configure_thread(int torch_threads = 1);

/// Bytes of large freed tensor blocks that configure_runtime's allocator keeps for reuse.
size_t cached_tensor_bytes();

}  // namespace lantern::learners
