#include "learners/runtime.hpp"

#include <malloc.h>

#include <torch/torch.h>

namespace lantern::learners {

void configure_runtime(int torch_threads) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // blocks below 256 MiB come from the heap and are reused
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and the heap is not trimmed back below 1 GiB of slack
  torch::set_num_threads(torch_threads);
}

void configure_thread() {
  if (torch::get_num_threads() != 1) torch::set_num_threads(1);
}

}  // namespace lantern::learners
