// learners/recurrent.hpp: a GRU run over a whole sequence as one autograd node (internal: torch
// types). The same function as torch::nn::GRUCell applied step by step, with the state reset
// between steps where an episode ended, but the input projections of all steps and the weight
// gradients of all steps are each one matrix product, and the backward pass runs its steps
// without building a graph: a step-by-step GRUCell costs ~25 autograd nodes per step, and with
// the small batches of a learner (16 envs) their bookkeeping, not the arithmetic, was the time.
//
//   auto states = gru_sequence(x, h0, keep, cell);  // x [S, n, F], h0 [n, H], keep [S-1, n, 1]
//   // states[t] = cell(x[t], t == 0 ? h0 : states[t-1] * keep[t-1])
#pragma once

#include <torch/torch.h>

namespace lantern::learners::detail {

/// The states [S, n, H] a GRU cell gives for inputs x [S, n, F] from state h0 [n, H]; the state
/// fed to step t > 0 is states[t-1] * keep[t-1] (keep: [S-1, n, 1], 0 where an episode ended).
/// Gradients flow to x, h0 and the cell's parameters, not to keep.
torch::Tensor gru_sequence(const torch::Tensor& x, const torch::Tensor& h0, const torch::Tensor& keep,
                           torch::nn::GRUCell& cell);

}  // namespace lantern::learners::detail
