// learners/runtime.hpp: process settings a learner needs, made explicit: call once from main()
// before training (the settings are process-wide).
//   - LibTorch's intra-op threads (1 per learner thread on a 2-core machine: the runner and the
//     games need the other core; learner.threads and train.act_threads set them per actor).
//   - Memory for large tensors is reused, not mapped anew: glibc keeps freed heap blocks below
//     256 MiB (mallopt), and LibTorch's blocks from 1 MiB go through a cache of freed blocks
//     (a thread other than main maps whatever its 64 MiB heaps cannot hold anew, and each new
//     page costs a fault). Measured by learner_bench in a worker thread, one core, against glibc's
//     defaults: NetHack APPO 2,325 against 243 samples/s, NetHack acting 9,786 against 644 steps/s,
//     text APPO 36,221 against 8,938; with the mallopt settings alone (no cache) NetHack APPO
//     made 308 samples/s.
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
