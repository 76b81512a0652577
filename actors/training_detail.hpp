// actors/training_detail.hpp: what the actors of a training run share (internal to actors/).
#pragma once

#include <exception>

#include <caf/all.hpp>

namespace lantern::actors::detail {

/// Turns an exception escaping an actor into its exit reason, message included (CAF's default
/// loses the message), so that a supervisor or a log can say why an actor stopped.
caf::error exit_reason_of(std::exception_ptr& e);

}  // namespace lantern::actors::detail
