// learners/drift.hpp: how far a learned reward moved between two snapshots, in the manner of
// STARC (Skalse et al. 2023, "STARC: A General Framework for Quantifying Differences Between
// Reward Functions"): each snapshot's rewards on the same fixed probe captions are canonicalised
// (centred: a constant added to every reward changes no preference), scaled to unit length (a
// positive factor changes none either), and the distance is half the Euclidean distance between
// the two: 0 for rewards equal up to a positive affine map, 1 for opposite ones. A snapshot that
// gives every probe the same reward expresses no preference: its canonical form is zero, so its
// distance to a non-constant one is 0.5 and to another constant one 0.
//
// The captions' rewards have no transition structure to canonicalise over, so centring over the
// probes stands in for STARC's potential-shaping canonicalisation.
//
//   double d = learners::reward_distance(before, after);   // in [0, 1]
#pragma once

#include <vector>

namespace lantern::learners {

/// The canonical form: centred and scaled to unit L2 norm (all zeros for a constant vector, all
/// NaN when a value is not finite).
std::vector<double> canonical_rewards(const std::vector<float>& r);

/// Half the L2 distance between the canonical forms of a and b, over their common prefix (NaN
/// when either holds a value that is not finite: a diverged model has no distance to report).
double reward_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace lantern::learners
